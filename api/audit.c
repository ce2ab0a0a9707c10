/* GET /audit (paged listing with filters) and GET /audit/verify. */
#include <stdlib.h>
#include <string.h>

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
	int rc = sdns_store_audit_verify(s, &res, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, 200, res);
}
