/* sdns_apiclient_request: one connection per request, closed afterwards. */
#include "apiclient_int.h"

#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"

int sdns_apiclient_request(sdns_apiclient *c, const char *method, const char *path,
                     const char *const *headers, const char *content_type,
                     const void *body, size_t body_len, sdns_apiclient_resp *resp,
                     char *err, size_t err_cap)
{
	memset(resp, 0, sizeof(*resp));
	if (err && err_cap)
		err[0] = '\0';
	apic_io *io = calloc(1, sizeof(*io));
	if (!io)
		return SDNS_ENOMEM;
	io->fd = -1;
	io->err = err;
	io->err_cap = err_cap;
	io->deadline_ms = apic_now_ms() + c->timeout_ms;
	int rc = apic_check_request(io, method, path, headers, content_type);
	if (rc == SDNS_OK)
		rc = apic_connect(c, io);
	if (rc == SDNS_OK)
		rc = apic_exchange(c, io, method, path, headers, content_type, body,
		                  body_len, resp);
	apic_close(io);
	free(io);
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
