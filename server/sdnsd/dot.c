/* --dot-listen: DNS over TLS beside DoQ, with DoQ's certificates, mesh,
 * admission (revocation), limits and answer path. */
#include <string.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sdnsd.h"

static void fill(const sdnsd_conf *c, sdnsd_state *st, sdns_dot_server_conf *d)
{
	memset(d, 0, sizeof *d);
	d->listen = c->dot_listen;
	d->cert_path = c->tls_cert;
	d->key_path = c->tls_key;
	d->ca_path = c->tls_ca;
	d->mesh = c->mesh;
	d->max_conns = (uint32_t)c->max_conns;
	d->max_conns_per_addr = (uint32_t)c->max_conns_per_addr;
	d->max_inflight = (uint32_t)c->max_streams;
	d->max_conn_buffer = (size_t)c->max_conn_buffer;
	d->idle_timeout_ms = (uint32_t)c->idle_timeout_ms;
	d->query_timeout_ms = (uint32_t)c->stream_timeout_ms;
	d->on_query = sdnsd_answer;
	if (st->mesh) d->on_query_async = sdnsd_dot_answer_async;
	d->admit = sdnsd_admit;
	d->ctx = st;
}

int sdnsd_dot_start(const sdnsd_conf *c, sdnsd_state *st)
{
	if (!c->dot_listen) return SDNS_OK;
	sdns_dot_server_conf d;
	fill(c, st, &d);
	char err[512] = "";
	int rc = sdns_dot_server_new(&d, &st->dot, err, sizeof err);
	if (rc == SDNS_OK) rc = sdns_dot_server_start(st->dot);
	if (rc < 0) {
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"--dot-listen: %s\"",
		         err[0] ? err : sdns_strerror(rc));
		return rc;
	}
	sdns_log(SDNS_LOG_INFO, "dot_started", "listen=%s port=%u", c->dot_listen,
	         (unsigned)sdns_dot_server_port(st->dot));
	return SDNS_OK;
}

void sdnsd_dot_stop(sdnsd_state *st)
{
	sdns_dot_server_stop(st->dot);
}
