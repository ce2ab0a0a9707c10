/* HTTP/1.1 on one connection: write the request, read the status line,
 * the headers we care about and the body (Content-Length, chunked or up
 * to close), within the client's limits. Connections are persistent (the
 * HTTP/1.1 default) unless the server says otherwise. */
#include "apiclient_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdns/error.h"

#define HEAD_MAX 16384
#define ONE_WRITE_MAX 65536

typedef struct {
	uint8_t *p;
	size_t len, cap, max;
} body_buf;

static bool safe_text(const char *s, bool allow_space)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (!allow_space && *s == ' '))
			return false;
	return true;
}

/* The request head into head (HEAD_MAX); body_len < 0: chunked. */
static int build_head(sdns_apiclient *c, apic_io *io, char *head,
                      const char *method, const char *path,
                      const char *const *headers, const char *ctype,
                      bool has_body, int64_t body_len, size_t *out_len)
{
	char host[SDNS_APICLIENT_HOST_MAX + 16];
	bool v6 = strchr(c->url.host, ':') != NULL;
	snprintf(host, sizeof(host), v6 ? "[%s]:%s" : "%s:%s", c->url.host,
	         c->url.port);
	/* JSON unless the caller asks for something else (a master file) */
	bool own_accept = false;
	for (size_t i = 0; headers && headers[i]; i++)
		own_accept |= strncasecmp(headers[i], "Accept:", 7) == 0;
	int n = snprintf(head, HEAD_MAX,
	                 "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sdnsctl\r\n%s",
	                 method, c->url.prefix, path, host,
	                 own_accept ? "" : "Accept: application/json\r\n");
	size_t used = n > 0 ? (size_t)n : HEAD_MAX;
	if (has_body) {
		char framing[64];
		if (body_len < 0)
			snprintf(framing, sizeof(framing), "Transfer-Encoding: chunked");
		else
			snprintf(framing, sizeof(framing), "Content-Length: %lld",
			         (long long)body_len);
		n = snprintf(head + used, used < HEAD_MAX ? HEAD_MAX - used : 0,
		             "Content-Type: %s\r\n%s\r\n",
		             ctype ? ctype : "application/octet-stream", framing);
		used += n > 0 ? (size_t)n : HEAD_MAX;
	}
	for (size_t i = 0; headers && headers[i] && used < HEAD_MAX; i++) {
		n = snprintf(head + used, HEAD_MAX - used, "%s\r\n", headers[i]);
		used += n > 0 ? (size_t)n : HEAD_MAX;
	}
	if (used + 2 >= HEAD_MAX)
		return apic_fail(io, SDNS_ETOOBIG, "request head too long");
	memcpy(head + used, "\r\n", 2);
	*out_len = used + 2;
	return SDNS_OK;
}

static int send_request(sdns_apiclient *c, apic_io *io, const char *method,
                        const char *path, const char *const *headers,
                        const char *ctype, const void *body, size_t blen)
{
	char head[HEAD_MAX];
	size_t used;
	int rc = build_head(c, io, head, method, path, headers, ctype,
	                    body || blen || ctype, (int64_t)blen, &used);
	if (rc < 0)
		return rc;
	/* Head and a small body in one TLS record and one segment. */
	uint8_t *one = blen && blen <= ONE_WRITE_MAX ? malloc(used + blen) : NULL;
	if (one) {
		memcpy(one, head, used);
		memcpy(one + used, body, blen);
		rc = apic_write_all(io, one, used + blen);
		free(one);
		return rc;
	}
	rc = apic_write_all(io, head, used);
	if (rc == SDNS_OK && blen)
		rc = apic_write_all(io, body, blen);
	return rc;
}

/* The next line without its CR LF, NUL-terminated inside io->buf; valid
 * until the next read from io. */
static int read_line(apic_io *io, char **line, size_t *total)
{
	for (;;) {
		uint8_t *s = io->buf + io->pos;
		uint8_t *nl = memchr(s, '\n', io->len - io->pos);
		if (nl) {
			size_t l = (size_t)(nl - s);
			*total += l + 1;
			if (*total > HEAD_MAX)
				break;
			io->pos += l + 1;
			if (l && s[l - 1] == '\r')
				l--;
			s[l] = '\0';
			*line = (char *)s;
			return SDNS_OK;
		}
		if (*total + io->len - io->pos > HEAD_MAX)
			break;
		if (io->eof)
			return apic_fail(io, SDNS_EPROTO, "connection closed in the "
			                "response head");
		int rc = apic_fill(io);
		if (rc < 0)
			return rc;
	}
	return apic_fail(io, SDNS_ETOOBIG, "response head over %d bytes", HEAD_MAX);
}

static int parse_status(apic_io *io, const char *line, int *status)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) ||
	    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) || !isdigit((unsigned char)line[11]) ||
	    (line[12] != ' ' && line[12] != '\0'))
		return apic_fail(io, SDNS_EPROTO, "not an HTTP/1.x response");
	*status = atoi(line + 9);
	if (*status < 100 || *status > 599)
		return apic_fail(io, SDNS_EPROTO, "bad HTTP status %d", *status);
	return SDNS_OK;
}

typedef struct {
	int status;
	bool chunked, has_length, close;
	uint64_t length;
} head_info;

static void copy_value(char *dst, size_t cap, const char *v)
{
	snprintf(dst, cap, "%s", v);
}

static int parse_length(apic_io *io, const char *v, head_info *h)
{
	uint64_t n = 0;
	if (!*v)
		return apic_fail(io, SDNS_EPROTO, "bad Content-Length");
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v) || n > UINT64_MAX / 20)
			return apic_fail(io, SDNS_EPROTO, "bad Content-Length");
		n = n * 10 + (uint64_t)(*v - '0');
	}
	if (h->has_length && h->length != n)
		return apic_fail(io, SDNS_EPROTO, "conflicting Content-Length");
	h->has_length = true;
	h->length = n;
	return SDNS_OK;
}

static int header_line(apic_io *io, char *line, head_info *h, sdns_apiclient_resp *r)
{
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return apic_fail(io, SDNS_EPROTO, "bad header line");
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		v[--vl] = '\0';
	if (!strcasecmp(line, "content-length"))
		return parse_length(io, v, h);
	if (!strcasecmp(line, "transfer-encoding")) {
		const char *last = strrchr(v, ',');
		last = last ? last + 1 : v;
		while (*last == ' ')
			last++;
		if (strcasecmp(last, "chunked") != 0)
			return apic_fail(io, SDNS_EPROTO, "unsupported Transfer-Encoding");
		h->chunked = true;
	} else if (!strcasecmp(line, "connection")) {
		if (strcasestr(v, "close"))
			h->close = true;
	} else if (!strcasecmp(line, "etag")) {
		copy_value(r->etag, sizeof(r->etag), v);
	} else if (!strcasecmp(line, "location")) {
		copy_value(r->location, sizeof(r->location), v);
	} else if (!strcasecmp(line, "content-type")) {
		copy_value(r->content_type, sizeof(r->content_type), v);
	}
	return SDNS_OK;
}

static int read_head(apic_io *io, head_info *h, sdns_apiclient_resp *r)
{
	size_t total = 0;
	char *line;
	do {
		memset(h, 0, sizeof(*h));
		r->etag[0] = r->location[0] = r->content_type[0] = '\0';
		int rc = read_line(io, &line, &total);
		if (rc == SDNS_OK)
			rc = parse_status(io, line, &h->status);
		while (rc == SDNS_OK) {
			rc = read_line(io, &line, &total);
			if (rc < 0 || !*line)
				break;
			rc = header_line(io, line, h, r);
		}
		if (rc < 0)
			return rc;
	} while (h->status < 200); /* 100 Continue and friends */
	return SDNS_OK;
}

static int body_add(apic_io *io, body_buf *b, const uint8_t *p, size_t n)
{
	if (n > b->max - b->len)
		return apic_fail(io, SDNS_ETOOBIG, "response body over %zu bytes",
		                b->max);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np)
			return apic_fail(io, SDNS_ENOMEM, "out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SDNS_OK;
}

/* Moves n bytes (or everything up to EOF when until_eof) into the body. */
static int read_bytes(apic_io *io, body_buf *b, uint64_t n, bool until_eof)
{
	while (n > 0 || until_eof) {
		if (io->pos == io->len) {
			if (io->eof) {
				if (until_eof)
					return SDNS_OK;
				return apic_fail(io, SDNS_EPROTO, "response body cut short");
			}
			io->pos = io->len = 0;
			int rc = apic_fill(io);
			if (rc < 0)
				return rc;
			continue;
		}
		size_t avail = io->len - io->pos;
		size_t take = until_eof || avail < n ? avail : (size_t)n;
		int rc = body_add(io, b, io->buf + io->pos, take);
		if (rc < 0)
			return rc;
		io->pos += take;
		n -= until_eof ? 0 : take;
	}
	return SDNS_OK;
}

static int read_chunked(apic_io *io, body_buf *b)
{
	size_t total = 0;
	char *line;
	for (;;) {
		int rc = read_line(io, &line, &total);
		if (rc < 0)
			return rc;
		total = 0;
		char *end;
		if (!isxdigit((unsigned char)*line))
			return apic_fail(io, SDNS_EPROTO, "bad chunk size");
		unsigned long long size = strtoull(line, &end, 16);
		if (*end && *end != ';' && *end != ' ')
			return apic_fail(io, SDNS_EPROTO, "bad chunk size");
		if (size > b->max)
			return apic_fail(io, SDNS_ETOOBIG, "response body over %zu bytes",
			                b->max);
		if (size == 0)
			break;
		if ((rc = read_bytes(io, b, size, false)) < 0 ||
		    (rc = read_line(io, &line, &total)) < 0)
			return rc;
		if (*line)
			return apic_fail(io, SDNS_EPROTO, "chunk longer than its size");
	}
	do { /* trailers, up to the empty line */
		int rc = read_line(io, &line, &total);
		if (rc < 0)
			return rc;
	} while (*line);
	return SDNS_OK;
}

int apic_check_request(apic_io *io, const char *method, const char *path,
                      const char *const *headers, const char *content_type)
{
	if (!method || !*method || !safe_text(method, false) || !path ||
	    path[0] != '/' || !safe_text(path, false) ||
	    (content_type && !safe_text(content_type, true)))
		return apic_fail(io, SDNS_EINVAL, "bad method, path or content type");
	for (size_t i = 0; headers && headers[i]; i++)
		if (!safe_text(headers[i], true) || !strchr(headers[i], ':'))
			return apic_fail(io, SDNS_EINVAL, "bad header '%s'", headers[i]);
	return SDNS_OK;
}

/* The response to the request just sent. */
static int read_response(sdns_apiclient *c, apic_io *io, const char *method,
                         sdns_apiclient_resp *resp, bool *reusable)
{
	head_info h;
	int rc = read_head(io, &h, resp);
	if (rc < 0)
		return rc;
	resp->status = h.status;
	body_buf b = {.max = c->max_body};
	bool none = !strcmp(method, "HEAD") || h.status == 204 || h.status == 304;
	if (none)
		rc = SDNS_OK;
	else if (h.chunked)
		rc = read_chunked(io, &b);
	else if (h.has_length && h.length > b.max)
		rc = apic_fail(io, SDNS_ETOOBIG, "response body of %llu bytes over "
		              "%zu", (unsigned long long)h.length, b.max);
	else
		rc = read_bytes(io, &b, h.length, !h.has_length);
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	resp->body = (char *)b.p;
	resp->body_len = b.len;
	*reusable = (none || h.chunked || h.has_length) && !h.close &&
	            !io->eof && io->pos == io->len;
	return SDNS_OK;
}

int apic_exchange(sdns_apiclient *c, apic_io *io, const char *method,
                 const char *path, const char *const *headers,
                 const char *content_type, const void *body, size_t body_len,
                 sdns_apiclient_resp *resp, bool *reusable)
{
	*reusable = false;
	int rc = send_request(c, io, method, path, headers, content_type, body,
	                      body_len);
	if (rc < 0)
		return rc;
	return read_response(c, io, method, resp, reusable);
}

/* ---------- streamed bodies ---------- */

#define STREAM_PIECE 65536

/* Every wait of a streamed request gets the whole timeout again. */
static void renew(sdns_apiclient *c, apic_io *io)
{
	io->deadline_ms = apic_now_ms() + c->timeout_ms;
}

/* One piece of the body, framed as a chunk when the length is unknown. */
static int send_piece(sdns_apiclient *c, apic_io *io, const uint8_t *p,
                      size_t n, bool chunked)
{
	renew(c, io);
	char size[24];
	int rc = SDNS_OK;
	if (chunked) {
		snprintf(size, sizeof(size), "%zx\r\n", n);
		rc = apic_write_all(io, size, strlen(size));
	}
	if (rc == SDNS_OK && n)
		rc = apic_write_all(io, p, n);
	if (rc == SDNS_OK && chunked)
		rc = apic_write_all(io, "\r\n", 2);
	return rc;
}

/* *wrote_fail: the failure was the connection's (a write), not the
 * source's. */
static int send_stream(sdns_apiclient *c, apic_io *io,
                       const sdns_apiclient_body *src, uint8_t *buf,
                       bool *write_fail)
{
	bool chunked = src->len < 0;
	uint64_t sent = 0;
	*write_fail = false;
	for (;;) {
		long n = src->read(src->ctx, buf, STREAM_PIECE);
		if (n < 0)
			return apic_fail(io, (int)n, "reading the request body: %s",
			                 sdns_strerror((int)n));
		if (n == 0)
			break;
		if (!chunked && sent + (uint64_t)n > (uint64_t)src->len)
			return apic_fail(io, SDNS_EINVAL, "request body longer than "
			                 "its length");
		int rc = send_piece(c, io, buf, (size_t)n, chunked);
		if (rc < 0) {
			*write_fail = true;
			return rc;
		}
		sent += (uint64_t)n;
		if (src->progress)
			src->progress(src->ctx, sent);
	}
	if (!chunked)
		return sent == (uint64_t)src->len ? SDNS_OK
		       : apic_fail(io, SDNS_EINVAL, "request body shorter than "
		                   "its length");
	renew(c, io);
	int rc = apic_write_all(io, "0\r\n\r\n", 5);
	*write_fail = rc < 0;
	return rc;
}

int apic_exchange_stream(sdns_apiclient *c, apic_io *io, const char *method,
                         const char *path, const char *const *headers,
                         const char *content_type,
                         const sdns_apiclient_body *src,
                         sdns_apiclient_resp *resp, bool *reusable)
{
	*reusable = false;
	char head[HEAD_MAX];
	size_t used;
	int rc = build_head(c, io, head, method, path, headers, content_type,
	                    true, src->len, &used);
	uint8_t *buf = rc == SDNS_OK ? malloc(STREAM_PIECE) : NULL;
	if (rc == SDNS_OK && !buf)
		rc = apic_fail(io, SDNS_ENOMEM, "out of memory");
	bool write_fail = false;
	if (rc == SDNS_OK && (rc = apic_write_all(io, head, used)) < 0)
		write_fail = true;
	if (rc == SDNS_OK)
		rc = send_stream(c, io, src, buf, &write_fail);
	free(buf);
	/* A server that refused early (413, 401) may have stopped reading:
	 * its answer says more than the failed write. */
	bool sent = rc == SDNS_OK;
	if (rc < 0 && write_fail && (rc == SDNS_EIO || rc == SDNS_ECLOSED))
		rc = SDNS_OK;
	if (rc < 0)
		return rc;
	renew(c, io);
	rc = read_response(c, io, method, resp, reusable);
	if (!sent)
		*reusable = false;
	return rc;
}
