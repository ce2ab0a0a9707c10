/* sdns_apiclient_request: requests reuse the connection of the previous
 * one when the server kept it open (no TLS handshake per request; the
 * server still checks the session's certificate on every request). */
#include "apiclient_int.h"

#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"

/* The kept connection, or a new unconnected one; *reused tells which. */
static apic_io *take_io(sdns_apiclient *c, bool *reused)
{
	apic_io *io = c->keep;
	c->keep = NULL;
	*reused = io != NULL;
	if (!io && (io = calloc(1, sizeof(*io))))
		io->fd = -1;
	return io;
}

static void drop_io(apic_io *io)
{
	apic_close(io);
	free(io);
}

int sdns_apiclient_request(sdns_apiclient *c, const char *method, const char *path,
                     const char *const *headers, const char *content_type,
                     const void *body, size_t body_len, sdns_apiclient_resp *resp,
                     char *err, size_t err_cap)
{
	memset(resp, 0, sizeof(*resp));
	if (err && err_cap)
		err[0] = '\0';
	bool reused, keep = false;
	apic_io *io = take_io(c, &reused);
	if (!io)
		return SDNS_ENOMEM;
	io->err = err;
	io->err_cap = err_cap;
	io->deadline_ms = apic_now_ms() + c->timeout_ms;
	int rc = apic_check_request(io, method, path, headers, content_type);
	for (int attempt = 0; rc == SDNS_OK; attempt++) {
		io->pos = io->len = io->got = 0;
		io->eof = false;
		if (io->fd < 0)
			rc = apic_connect(c, io);
		if (rc == SDNS_OK)
			rc = apic_exchange(c, io, method, path, headers, content_type,
			                   body, body_len, resp, &keep);
		/* A kept connection the server closed while idle answers
		 * nothing: once, start again on a new one. */
		if (rc < 0 && reused && attempt == 0 && io->got == 0 &&
		    rc != SDNS_ETIMEOUT) {
			apic_close(io);
			sdns_apiclient_resp_free(resp);
			memset(resp, 0, sizeof(*resp));
			if (err && err_cap)
				err[0] = '\0';
			rc = SDNS_OK;
			continue;
		}
		break;
	}
	if (rc == SDNS_OK && keep) {
		io->err = NULL; /* the caller's buffer is not ours to keep */
		io->err_cap = 0;
		c->keep = io;
	} else {
		drop_io(io);
	}
	if (rc < 0) {
		sdns_apiclient_resp_free(resp);
		memset(resp, 0, sizeof(*resp));
	}
	return rc;
}

int sdns_apiclient_request_stream(sdns_apiclient *c, const char *method,
                                  const char *path,
                                  const char *const *headers,
                                  const char *content_type,
                                  const sdns_apiclient_body *src,
                                  sdns_apiclient_resp *resp, char *err,
                                  size_t err_cap)
{
	memset(resp, 0, sizeof(*resp));
	if (err && err_cap)
		err[0] = '\0';
	if (c->keep) {
		drop_io(c->keep);
		c->keep = NULL;
	}
	bool reused, keep = false;
	apic_io *io = take_io(c, &reused);
	if (!io)
		return SDNS_ENOMEM;
	io->err = err;
	io->err_cap = err_cap;
	io->deadline_ms = apic_now_ms() + c->timeout_ms;
	int rc = apic_check_request(io, method, path, headers, content_type);
	if (rc == SDNS_OK && (!src || !src->read))
		rc = apic_fail(io, SDNS_EINVAL, "no request body");
	if (rc == SDNS_OK)
		rc = apic_connect(c, io);
	if (rc == SDNS_OK)
		rc = apic_exchange_stream(c, io, method, path, headers, content_type,
		                          src, resp, &keep);
	if (rc == SDNS_OK && keep) {
		io->err = NULL;
		io->err_cap = 0;
		c->keep = io;
	} else {
		drop_io(io);
	}
	if (rc < 0) {
		sdns_apiclient_resp_free(resp);
		memset(resp, 0, sizeof(*resp));
	}
	return rc;
}

void sdns_apiclient_resp_free(sdns_apiclient_resp *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
