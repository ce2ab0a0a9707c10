/* GET /audit (paged listing with filters), GET /audit/verify (against
 * the trusted keys only), GET /audit/head (a signed checkpoint of the
 * verified chain) and GET /audit/peers (the peers' heads sdnsd keeps). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"

static int query_int(api_req *r, const char *name, int64_t lo, int64_t hi,
                     int64_t dflt, int64_t *v, api_resp *out)
{
	const char *s = api_query(r, name);
	*v = dflt;
	if (!s) return SDNS_OK;
	size_t n = strlen(s);
	int64_t x = 0;
	bool ok = n > 0 && n <= 18;
	for (size_t i = 0; ok && i < n; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		x = x * 10 + (s[i] - '0');
	}
	if (!ok || x < lo || x > hi) {
		api_fail(out, API_E_INVALID_FIELD, name,
		         "%s: must be an integer %lld..%lld", name, (long long)lo,
		         (long long)hi);
		return SDNS_EINVAL;
	}
	*v = x;
	return SDNS_OK;
}

static int query_str(api_req *r, const char *name, const char **v,
                     api_resp *out)
{
	*v = api_query(r, name);
	if (*v && (!**v || strlen(*v) > 255)) {
		api_fail(out, API_E_INVALID_FIELD, name,
		         "%s: 1..255 characters", name);
		return SDNS_EINVAL;
	}
	return SDNS_OK;
}

void api_h_audit_list(api_req *r, api_resp *out)
{
	int64_t after, limit;
	const char *actor, *action;
	if (query_int(r, "after", 0, INT64_MAX / 10, 0, &after, out) ||
	    query_int(r, "limit", 1, SDNS_STORE_AUDIT_LIMIT_MAX, 100, &limit,
	              out) ||
	    query_str(r, "actor", &actor, out) ||
	    query_str(r, "action", &action, out))
		return;
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *res = NULL;
	sdns_store_err err;
	int rc = sdns_store_audit_list(s, after, (int)limit, actor, action, &res,
	                               &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, 200, res);
}

void api_h_audit_verify(api_req *r, api_resp *out)
{
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *res = NULL;
	sdns_store_err err;
	int rc = sdns_store_audit_verify(s, &r->api->audit_trust, &res, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, 200, res);
}

/* Only a chain that verifies gets a signed head: a checkpoint must never
 * vouch for rows someone else wrote. */
void api_h_audit_head(api_req *r, api_resp *out)
{
	if (!r->api->have_audit_key) {
		api_fail(out, API_E_UNAVAILABLE, NULL, "no audit key configured");
		return;
	}
	sdns_store *s = api_store(r, out);
	if (!s) return;
	sdns_store_audit_walk w = { 0 };
	sdns_store_err err;
	/* The daemon verifies as the chain grows: start where it is (a full
	 * walk costs about 85 us of CPU per entry). */
	const sdns_api_callbacks *cb = &r->api->cb;
	char why[200] = "";
	int rc = cb->audit_verified
	         ? cb->audit_verified(cb->ctx, &w.id, w.hash, why, sizeof why)
	         : SDNS_ENOTFOUND;
	if (rc == SDNS_EBOGUS) {
		api_fail(out, API_E_CONFLICT, NULL, "the audit chain does not "
		         "verify: %s", why);
		return;
	}
	if (rc != SDNS_OK)
		memset(&w, 0, sizeof w);
	rc = sdns_store_audit_walk_on(s, &r->api->audit_trust, &w, 0, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	if (w.reason) {
		api_fail(out, API_E_CONFLICT, NULL,
		         "the audit chain does not verify at entry %lld: %s",
		         (long long)w.bad_id, w.reason);
		return;
	}
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	struct tm tm;
	gmtime_r(&t.tv_sec, &tm);
	char ts[SDNS_AUDIT_TS_MAX];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sdns_audit_head h;
	rc = sdns_audit_head_sign(&r->api->audit_key, w.id, w.hash, ts, &h);
	if (rc) {
		api_fail(out, API_E_INTERNAL, NULL, "signing the head: %s",
		         sdns_strerror(rc));
		return;
	}
	api_resp_json(out, 200, sdns_audit_head_to_json(&h));
}

void api_h_audit_peers(api_req *r, api_resp *out)
{
	const sdns_api_callbacks *cb = &r->api->cb;
	json_t *j = cb->audit_peers ? cb->audit_peers(cb->ctx)
	                            : json_pack("{s:[]}", "peers");
	if (!j) {
		api_fail(out, API_E_INTERNAL, NULL, "out of memory");
		return;
	}
	api_resp_json(out, 200, j);
}
