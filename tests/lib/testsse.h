/* A streaming HTTPS client for Server-Sent Events tests (OpenSSL): one GET
 * kept open, chunked transfer decoded as it arrives, and a wait for a piece
 * of text in what came so far. Not a general HTTP client. */
#ifndef SDNS_TESTSSE_H
#define SDNS_TESTSSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	void *ctx, *ssl;     /* SSL_CTX, SSL */
	int fd;
	char *raw;           /* everything read, NUL-terminated */
	size_t rlen, rcap;
	size_t body_off;     /* raw offset of the body; 0 = headers pending */
	char *body;          /* the de-chunked body so far, NUL-terminated */
	size_t blen, bcap, parsed, seen;
	int status;
	bool eof;            /* the server closed or ended the stream */
	bool chunked;
	long clen;           /* Content-Length, -1 = none */
} sdns_sse;

/* GET path on 127.0.0.1:port with the client certificate cert/key (NULL =
 * none), the server checked against ca. Returns the status (0 on failure
 * to connect); headers are then in raw. rcvbuf > 0 sets SO_RCVBUF first. */
int sdns_sse_open(sdns_sse *c, uint16_t port, const char *ca,
                  const char *cert, const char *key, const char *path,
                  int rcvbuf);
/* Read until the body, after what earlier waits consumed, holds needle
 * (true; consumed up to its end) or ms pass / the stream ends (false). */
bool sdns_sse_wait(sdns_sse *c, const char *needle, int ms);
/* Read until the stream ends (true) or ms pass (false). */
bool sdns_sse_wait_eof(sdns_sse *c, int ms);
void sdns_sse_close(sdns_sse *c);

#endif
