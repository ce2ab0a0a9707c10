/* Internals of the API client shared by its files. */
#ifndef SDNS_APICLIENT_INT_H
#define SDNS_APICLIENT_INT_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "sdns/apiclient.h"

struct sdns_apiclient {
	SSL_CTX *ctx;
	sdns_apiclient_url url;
	uint32_t timeout_ms;
	size_t max_body;
};

/* One connection: the socket, its TLS session, the request's deadline and
 * a read buffer for the response head and chunk framing. */
typedef struct {
	int fd;
	SSL *ssl;
	uint64_t deadline_ms;   /* CLOCK_MONOTONIC */
	uint8_t buf[16384];
	size_t pos, len;
	bool eof;
	char *err;
	size_t err_cap;
} api_io;

uint64_t api_now_ms(void);
int api_fail(api_io *io, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* conn.c: TCP connect and TLS handshake with verification; close. */
int api_connect(sdns_apiclient *c, api_io *io);
void api_close(api_io *io);
int api_write_all(api_io *io, const void *data, size_t len);
/* Reads what is available into io->buf (after compacting); 0 at EOF sets
 * io->eof. */
int api_fill(api_io *io);

/* http.c: check the request's parts (before connecting), send the
 * request, read the response. */
int api_check_request(api_io *io, const char *method, const char *path,
                      const char *const *headers, const char *content_type);
int api_exchange(sdns_apiclient *c, api_io *io, const char *method,
                 const char *path, const char *const *headers,
                 const char *content_type, const void *body, size_t body_len,
                 sdns_apiclient_resp *resp);

#endif
