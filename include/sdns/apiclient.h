/* A small HTTPS/1.1 client for the management API (OpenSSL 3), used by
 * sdnsctl and by tests. One request per connection ("Connection: close"):
 * TLS 1.2+, the server certificate must chain to the mesh CA and match the
 * host of the URL (DNS name or IP literal), the client certificate is
 * presented when one is configured. Bodies are sent with Content-Length and
 * read with Content-Length, chunked encoding or until close, never past
 * max_body. Every wait is a poll() bounded by the request's deadline.
 * A client holds the TLS context and the connection of its last request,
 * kept open for the next one when the server allows it (HTTP/1.1
 * persistent connections; a kept connection the server closed meanwhile is
 * replaced transparently); it is not shared between threads. */
#ifndef SDNS_APICLIENT_H
#define SDNS_APICLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDNS_APICLIENT_DEFAULT_URL "https://127.0.0.1:8443"
#define SDNS_APICLIENT_BODY_MAX (16u << 20)    /* default response body limit */
#define SDNS_APICLIENT_HOST_MAX 256

typedef struct sdns_apiclient sdns_apiclient;

typedef struct {
	const char *url;          /* "https://host[:port][/prefix]", port 443 */
	const char *ca_path;      /* PEM CA the server must chain to (required) */
	const char *cert_path;    /* client certificate; NULL: none presented */
	const char *key_path;     /* its key (required with cert_path) */
	uint32_t timeout_ms;      /* whole request; 0 = 10000 */
	size_t max_body;          /* 0 = SDNS_APICLIENT_BODY_MAX */
} sdns_apiclient_conf;

/* The parts of a URL the client uses. host has no brackets. */
typedef struct {
	char host[SDNS_APICLIENT_HOST_MAX];
	char port[8];
	char prefix[256];         /* path prefix without the trailing '/' */
	bool is_ip;               /* IPv4 or IPv6 literal */
} sdns_apiclient_url;

/* What a response carries. body is malloc'd and NUL-terminated (may hold
 * NULs itself: use body_len); NULL when empty. Free with _resp_free. */
typedef struct {
	int status;               /* 100..599 */
	char etag[80];            /* as sent, with quotes; "" when absent */
	char location[512];
	char content_type[128];
	char *body;
	size_t body_len;
} sdns_apiclient_resp;

/* The API's error body {"error":{"code","message","field"}}; for a body of
 * another shape code is "http_<status>" and message the body's first line. */
typedef struct {
	char code[48];
	char message[400];
	char field[64];
} sdns_apiclient_error;

/* "https://h:p/x" → parts. SDNS_EINVAL with a reason in err. */
int sdns_apiclient_url_parse(const char *url, sdns_apiclient_url *u, char *err,
                       size_t err_cap);

/* Loads the CA and the client certificate and key. Errors (unreadable
 * file, key not matching the certificate, bad URL) go to err:
 * SDNS_EINVAL, SDNS_ECERT, SDNS_ENOMEM. */
int sdns_apiclient_new(const sdns_apiclient_conf *conf, sdns_apiclient **out,
                        char *err, size_t err_cap);
void sdns_apiclient_free(sdns_apiclient *c);

/* One request. path starts with '/' and is appended to the URL's prefix
 * (callers escape parts with sdns_apiclient_escape). content_type may be NULL
 * when there is no body. headers: NULL or a NULL-terminated list of whole
 * "Name: value" lines (no CR/LF allowed). Any HTTP status is a success
 * here (resp->status says which); failures are transport ones, with words
 * in err: SDNS_EIO (resolve, connect, "connection refused", reset),
 * SDNS_ECERT (server certificate refused: untrusted, wrong host),
 * SDNS_ETLS (other handshake failures), SDNS_ETIMEOUT, SDNS_ETOOBIG
 * (body over max_body, header over 16 KiB), SDNS_EPROTO (not HTTP/1.x,
 * bad chunk, short body), SDNS_EINVAL (bad arguments). resp is zeroed
 * first and owns nothing after a failure. */
int sdns_apiclient_request(sdns_apiclient *c, const char *method, const char *path,
                     const char *const *headers, const char *content_type,
                     const void *body, size_t body_len, sdns_apiclient_resp *resp,
                     char *err, size_t err_cap);
void sdns_apiclient_resp_free(sdns_apiclient_resp *r);

/* A request body produced while it is sent. read fills buf with up to cap
 * bytes and returns how many, 0 at the end, or a negative code (the
 * request fails with it). len: the total, sent as Content-Length (read must
 * give exactly that much), or -1 when unknown: the body then goes in
 * chunked transfer coding. progress (may be NULL) hears the bytes sent so
 * far after each write. */
typedef struct {
	int64_t len;
	long (*read)(void *ctx, void *buf, size_t cap);
	void (*progress)(void *ctx, uint64_t sent);
	void *ctx;
} sdns_apiclient_body;

/* sdns_apiclient_request with the body from src, for uploads of any size:
 * the timeout bounds every wait (the connection, each write, the response
 * after the last byte) rather than the whole request. A kept connection is
 * not used (what was read from src could not be sent again): the request
 * goes on a new one. A server that answers before the body is through
 * (413) has its answer returned. */
int sdns_apiclient_request_stream(sdns_apiclient *c, const char *method,
                                  const char *path,
                                  const char *const *headers,
                                  const char *content_type,
                                  const sdns_apiclient_body *src,
                                  sdns_apiclient_resp *resp, char *err,
                                  size_t err_cap);

/* Same with a JSON body (json may be NULL: no body); the JSON is sent
 * compact as application/json. */
int sdns_apiclient_request_json(sdns_apiclient *c, const char *method,
                          const char *path, const char *const *headers,
                          const json_t *json, sdns_apiclient_resp *resp, char *err,
                          size_t err_cap);

/* Percent-encodes everything except unreserved characters (RFC 3986
 * ALPHA DIGIT - . _ ~). SDNS_ESPACE when it does not fit. */
int sdns_apiclient_escape(const char *s, char *out, size_t cap);

/* Parses the body as JSON (a new reference in *out). SDNS_EMALF with the
 * parser's words in err for a body that is not JSON or is empty. */
int sdns_apiclient_resp_json(const sdns_apiclient_resp *r, json_t **out, char *err,
                       size_t err_cap);
/* Fills e from an error response (any shape; never fails). */
void sdns_apiclient_resp_error(const sdns_apiclient_resp *r, sdns_apiclient_error *e);
/* "409 conflict: zone node-alpha.mesh exists" plus " (field name)" when the
 * error names a field. */
void sdns_apiclient_error_str(const sdns_apiclient_resp *r, char *buf, size_t cap);
/* The serial in an ETag "\"17\"" (weak W/ prefix accepted); SDNS_ENOTFOUND
 * when absent, SDNS_EMALF when not a number. */
int sdns_apiclient_resp_serial(const sdns_apiclient_resp *r, uint32_t *serial);

#endif
