/* GET /healthz (is the database reachable?) and GET /metrics (Prometheus
 * text: the API's counters, then whatever the daemon adds). */
#include <stdio.h>
#include <stdlib.h>

#include "api_int.h"
#include "sdns/error.h"

void api_h_healthz(api_req *r, api_resp *out)
{
	if (api_not_ready(r->api, out)) {
		json_decref(out->json);
		out->json = json_pack("{s:s,s:s}", "status", "starting",
		                      "database", "not_ready");
		return;
	}
	api_resp scratch = {0};
	sdns_store *s = api_store(r, &scratch);
	json_decref(scratch.json);
	int rc = s ? sdns_store_ping(s) : SDNS_EUNAVAIL;
	if (s) api_store_check(r, rc);
	bool up = rc == SDNS_OK;
	json_t *body = json_pack("{s:s,s:s}", "status", up ? "ok" : "degraded",
	                         "database", up ? "up" : "down");
	api_resp_json(out, up ? 200 : 503, body);
	if (!up) out->retry_after = 1;
}

#define METRICS_CAP (256u * 1024)

void api_h_metrics(api_req *r, api_resp *out)
{
	sdns_api *api = r->api;
	char *buf = malloc(METRICS_CAP);
	if (!buf) {
		api_fail(out, API_E_INTERNAL, NULL, "out of memory");
		return;
	}
	int n = snprintf(buf, METRICS_CAP,
		"# HELP sdns_api_requests_total API requests received.\n"
		"# TYPE sdns_api_requests_total counter\n"
		"sdns_api_requests_total %lu\n"
		"# HELP sdns_api_responses_total API responses by status class.\n"
		"# TYPE sdns_api_responses_total counter\n",
		atomic_load(&api->n_requests));
	for (int k = 1; k <= 5; k++)
		n += snprintf(buf + n, METRICS_CAP - (size_t)n,
		              "sdns_api_responses_total{class=\"%dxx\"} %lu\n", k,
		              atomic_load(&api->n_status[k]));
	n += snprintf(buf + n, METRICS_CAP - (size_t)n,
		"# HELP sdns_api_auth_refused_total Requests refused for their "
		"certificate or token.\n"
		"# TYPE sdns_api_auth_refused_total counter\n"
		"sdns_api_auth_refused_total %lu\n"
		"# HELP sdns_api_auth_refused_unaudited_total Refusals over the "
		"audit rate limit.\n"
		"# TYPE sdns_api_auth_refused_unaudited_total counter\n"
		"sdns_api_auth_refused_unaudited_total %lu\n"
		"# HELP sdns_api_cross_site_total Writes refused as cross-site "
		"(Origin, Sec-Fetch-Site).\n"
		"# TYPE sdns_api_cross_site_total counter\n"
		"sdns_api_cross_site_total %lu\n"
		"# HELP sdns_api_not_ready_total 503s answered while the store "
		"was not ready yet (start-up; not in the 5xx class).\n"
		"# TYPE sdns_api_not_ready_total counter\n"
		"sdns_api_not_ready_total %lu\n",
		atomic_load(&api->n_refused),
		atomic_load(&api->n_refused_unaudited),
		atomic_load(&api->n_cross_site), atomic_load(&api->n_unready));
	unsigned long subs, sent, dropped, revoked;
	api_events_counts(api, &subs, &sent, &dropped, &revoked);
	n += snprintf(buf + n, METRICS_CAP - (size_t)n,
		"# HELP sdns_api_events_subscribers Open GET /events streams.\n"
		"# TYPE sdns_api_events_subscribers gauge\n"
		"sdns_api_events_subscribers %lu\n"
		"# HELP sdns_api_events_total Change events sent to subscribers.\n"
		"# TYPE sdns_api_events_total counter\n"
		"sdns_api_events_total %lu\n"
		"# HELP sdns_api_events_dropped_total Subscribers dropped for "
		"reading too slowly.\n"
		"# TYPE sdns_api_events_dropped_total counter\n"
		"sdns_api_events_dropped_total %lu\n"
		"# HELP sdns_api_events_closed_revoked_total Streams ended "
		"because their identity was revoked.\n"
		"# TYPE sdns_api_events_closed_revoked_total counter\n"
		"sdns_api_events_closed_revoked_total %lu\n", subs, sent, dropped,
		revoked);
	size_t len = (size_t)n;
	if (api->cb.metrics && len < METRICS_CAP) {
		size_t more = api->cb.metrics(api->cb.ctx, buf + len,
		                              METRICS_CAP - len);
		len += more <= METRICS_CAP - len ? more : 0;
	}
	out->status = 200;
	out->text = buf;
	out->text_len = len;
	out->ctype = "text/plain; version=0.0.4; charset=utf-8";
}
