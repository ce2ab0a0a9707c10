/* A minimal HTTPS client for tests (OpenSSL): one request per connection,
 * optional client certificate, the server verified against a CA file, the
 * whole response read until the server closes. Good enough to drive the
 * management API; not a general HTTP client (no chunked decoding). */
#ifndef SDNS_TESTHTTP_H
#define SDNS_TESTHTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char *ca;      /* CA file the server certificate must chain to */
	const char *cert;    /* client certificate (PEM), NULL = none */
	const char *key;     /* its key */
} sdns_http_tls;

typedef struct {
	int status;          /* 0 when nothing parsable came back */
	char *head;          /* status line + headers, NUL-terminated */
	char *body;          /* NUL-terminated (body_len excludes it) */
	size_t body_len;
} sdns_http_resp;

/* method path to 127.0.0.1:port. extra_headers: "If-Match: \"3\"\r\n..."
 * or NULL. body may be NULL; a body goes with "Content-Type:
 * application/json" unless extra_headers name a Content-Type (the stream
 * functions below send exactly the headers given). Returns 0 with *out filled (free with
 * sdns_http_resp_free), or -1 when the connection or handshake failed. */
int sdns_http_request(uint16_t port, const sdns_http_tls *tls,
                      const char *method, const char *path,
                      const char *extra_headers, const char *body,
                      size_t body_len, sdns_http_resp *out);
void sdns_http_resp_free(sdns_http_resp *r);
/* Connect from this IPv4 address (a loopback alias such as 127.0.0.2),
 * for this and every later request; NULL = the kernel's choice again. */
void sdns_http_set_source(const char *ipv4);

/* The same request with its body written piece by piece (uploads in many
 * chunks, a client that goes away midway). open connects and sends the
 * head; extra_headers must carry Content-Length or "Transfer-Encoding:
 * chunked" (the caller then frames the chunks itself). write sends bytes
 * (0 or -1). finish reads the response and closes (as sdns_http_request);
 * abort closes at once, the request unfinished. Either frees s. */
typedef struct sdns_http_stream sdns_http_stream;
int sdns_http_stream_open(uint16_t port, const sdns_http_tls *tls,
                          const char *method, const char *path,
                          const char *extra_headers, sdns_http_stream **out);
int sdns_http_stream_write(sdns_http_stream *s, const void *data, size_t len);
int sdns_http_stream_finish(sdns_http_stream *s, sdns_http_resp *out);
void sdns_http_stream_abort(sdns_http_stream *s);
/* Value of header name (case-insensitive) copied into buf; NULL if absent. */
const char *sdns_http_header(const sdns_http_resp *r, const char *name,
                             char *buf, size_t cap);

#endif
