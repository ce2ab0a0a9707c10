/* Internals of the API client shared by its files. */
#ifndef SDNS_APICLIENT_INT_H
#define SDNS_APICLIENT_INT_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "sdns/apiclient.h"

struct apic_io;
struct sdns_apiclient {
	SSL_CTX *ctx;
	sdns_apiclient_url url;
	uint32_t timeout_ms;
	size_t max_body;
	struct apic_io *keep;   /* the open connection of the last request */
};

/* One connection: the socket, its TLS session, the request's deadline and
 * a read buffer for the response head and chunk framing. */
typedef struct apic_io {
	int fd;
	SSL *ssl;
	uint64_t deadline_ms;   /* CLOCK_MONOTONIC */
	uint8_t buf[16384];
	size_t pos, len;
	size_t got;             /* bytes read for the current request */
	bool eof;
	char *err;
	size_t err_cap;
} apic_io;

uint64_t apic_now_ms(void);
int apic_fail(apic_io *io, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* conn.c: TCP connect and TLS handshake with verification; close. */
int apic_connect(sdns_apiclient *c, apic_io *io);
void apic_close(apic_io *io);
int apic_write_all(apic_io *io, const void *data, size_t len);
/* Reads what is available into io->buf (after compacting); 0 at EOF sets
 * io->eof. */
int apic_fill(apic_io *io);

/* http.c: check the request's parts (before connecting), send the
 * request, read the response. *reusable: the response ended where its
 * framing says and the server keeps the connection open. */
int apic_check_request(apic_io *io, const char *method, const char *path,
                      const char *const *headers, const char *content_type);
int apic_exchange(sdns_apiclient *c, apic_io *io, const char *method,
                 const char *path, const char *const *headers,
                 const char *content_type, const void *body, size_t body_len,
                 sdns_apiclient_resp *resp, bool *reusable);

/* The same with a streamed body (sdns_apiclient_request_stream). */
int apic_exchange_stream(sdns_apiclient *c, apic_io *io, const char *method,
                         const char *path, const char *const *headers,
                         const char *content_type,
                         const sdns_apiclient_body *src,
                         sdns_apiclient_resp *resp, bool *reusable);

#endif
