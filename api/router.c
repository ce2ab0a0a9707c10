/* Method + path → handler. The table is also the list the OpenAPI test
 * compares with api/openapi.yaml, so every route lives here and only here. */
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

static const struct api_route routes[] = {
	{"GET", "/zones", API_P_READ, api_h_zones_list, false},
	{"GET", "/zones/{zone}", API_P_READ, api_h_zone_get, false},
	{"POST", "/zones/{zone}", API_P_ADMIN, api_h_zone_create, false},
	{"DELETE", "/zones/{zone}", API_P_ADMIN, api_h_zone_delete, false},
	{"GET", "/zones/{zone}/records", API_P_READ, api_h_records_list, false},
	{"POST", "/zones/{zone}/records", API_P_ZONE_WRITE, api_h_record_add,
	 false},
	{"PUT", "/zones/{zone}/records/{id}", API_P_ZONE_WRITE,
	 api_h_record_update, false},
	{"DELETE", "/zones/{zone}/records/{id}", API_P_ZONE_WRITE,
	 api_h_record_delete, false},
	{"POST", "/zones/{zone}/import", API_P_ZONE_WRITE, api_h_zone_import,
	 true},
	{"POST", "/peers/tokens", API_P_ADMIN, api_h_token_create, false},
	{"POST", "/enroll", API_P_OPEN, api_h_enroll, false},
	{"GET", "/peers", API_P_MESH_READ, api_h_peers_list, false},
	{"POST", "/peers", API_P_ADMIN, api_h_peer_add, false},
	{"DELETE", "/peers/{id}", API_P_ADMIN, api_h_peer_revoke, false},
	{"GET", "/audit", API_P_MESH_READ, api_h_audit_list, false},
	{"GET", "/audit/verify", API_P_MESH_READ, api_h_audit_verify, false},
	{"GET", "/audit/head", API_P_MESH_READ, api_h_audit_head, false},
	{"GET", "/audit/peers", API_P_MESH_READ, api_h_audit_peers, false},
	{"GET", "/metrics", API_P_READ, api_h_metrics, false},
	{"GET", "/healthz", API_P_READ, api_h_healthz, false},
	{"GET", "/events", API_P_READ, api_h_events, false},
	/* The console, last: "/{file}" must not shadow an API path. */
	{"GET", "/", API_P_READ, api_h_static, false},
	{"GET", "/{file}", API_P_READ, api_h_static, false},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static sdns_api_route public_routes[N_ROUTES];

const sdns_api_route *sdns_api_routes(size_t *n)
{
	for (size_t i = 0; i < N_ROUTES; i++) {
		public_routes[i].method = routes[i].method;
		public_routes[i].path = routes[i].path;
	}
	*n = N_ROUTES;
	return public_routes;
}

bool api_policy_allows(api_policy p, sdns_role role)
{
	switch (p) {
	case API_P_OPEN: return true;
	case API_P_READ:
		return role == SDNS_ROLE_ADMIN || role == SDNS_ROLE_NODE ||
		       role == SDNS_ROLE_CLIENT;
	case API_P_MESH_READ:
	case API_P_ZONE_WRITE:  /* ownership is checked by the handler */
		return role == SDNS_ROLE_ADMIN || role == SDNS_ROLE_NODE;
	case API_P_ADMIN: return role == SDNS_ROLE_ADMIN;
	}
	return false;
}

/* Segment by segment; "{x}" takes one non-empty segment. Parameters are
 * copied NUL-terminated into r->pbuf. */
static bool match_path(const char *tmpl, const char *path, api_req *r)
{
	size_t used = 0;
	int np = 0;
	const char *t = tmpl, *p = path;
	while (*t && *p) {
		if (*t != '/' || *p != '/') return false;
		t++, p++;
		size_t tl = strcspn(t, "/"), pl = strcspn(p, "/");
		if (*t == '{') {
			if (pl == 0 || np >= API_MAX_PARAMS ||
			    used + pl + 1 > sizeof(r->pbuf))
				return false;
			memcpy(r->pbuf + used, p, pl);
			r->pbuf[used + pl] = '\0';
			r->params[np++] = r->pbuf + used;
			used += pl + 1;
		} else if (tl != pl || memcmp(t, p, tl) != 0) {
			return false;
		}
		t += tl, p += pl;
	}
	return *t == '\0' && *p == '\0';
}

/* "/zones" is also a "/{file}": list each method once. */
static bool allow_has(const char *allow, const char *method)
{
	size_t ml = strlen(method);
	const char *p = allow;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == ml && memcmp(p, method, ml) == 0) return true;
		p += n;
		if (*p) p += 2;  /* ", " */
	}
	return false;
}

int api_route_match(const char *method, const char *path,
                    const struct api_route **route, api_req *r,
                    char *allow, size_t allow_cap)
{
	bool path_known = false;
	size_t alen = 0;
	allow[0] = '\0';
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!match_path(routes[i].path, path, r)) continue;
		if (strcmp(routes[i].method, method) == 0) {
			*route = &routes[i];
			return SDNS_OK;
		}
		path_known = true;
		size_t ml = strlen(routes[i].method);
		if (allow_has(allow, routes[i].method)) continue;
		if (alen + ml + 3 < allow_cap) {
			if (alen) {
				memcpy(allow + alen, ", ", 2);
				alen += 2;
			}
			memcpy(allow + alen, routes[i].method, ml);
			alen += ml;
			allow[alen] = '\0';
		}
	}
	return path_known ? SDNS_EDENIED : SDNS_ENOTFOUND;
}
