/* Cross-site requests (CSRF) and the content types of writes.
 *
 * A browser that holds an administrator's certificate sends it to this
 * origin whatever page started the request. A page elsewhere can make the
 * browser POST a form (urlencoded, multipart or text/plain bodies) or a
 * "simple" fetch without asking anyone; every other method or content
 * type needs a CORS preflight, which this API never answers. So a write
 * must be same-origin by the browser's own word (Sec-Fetch-Site, Origin),
 * and its body must have a content type no form can send. Tools (curl,
 * sdnsctl) send neither header and are not affected. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "sdns/log.h"

static bool is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* Origin "https://<Host>" exactly (ASCII case-insensitive), or the origin
 * of the configured public URL. */
static bool origin_is_ours(api_req *r, const char *origin)
{
	static const char scheme[] = "https://";
	size_t sl = sizeof(scheme) - 1;
	if (strncasecmp(origin, scheme, sl) != 0) return false;
	const char *host = api_header(r, "Host");
	if (host && *host && strcasecmp(origin + sl, host) == 0) return true;
	const char *pub = r->api->public_url;
	if (!pub || strncasecmp(pub, scheme, sl) != 0) return false;
	size_t pl = strcspn(pub + sl, "/");
	return strlen(origin) == sl + pl &&
	       strncasecmp(origin + sl, pub + sl, pl) == 0;
}

/* False (403 in out): a browser says this write comes from another site. */
bool api_origin_ok(api_req *r, api_resp *out)
{
	if (!is_write(r->method)) return true;
	const char *sfs = api_header(r, "Sec-Fetch-Site");
	const char *origin = api_header(r, "Origin");
	const char *why = NULL;
	if (sfs && strcasecmp(sfs, "same-origin") != 0 &&
	    strcasecmp(sfs, "none") != 0)
		why = "Sec-Fetch-Site";
	else if (origin && !origin_is_ours(r, origin))
		why = "Origin";
	if (!why) return true;
	atomic_fetch_add(&r->api->n_cross_site, 1);
	sdns_log(SDNS_LOG_INFO, "api_cross_site", "peer=%s method=%s path=%s "
	         "by=%s origin=\"%.80s\"", r->remote, r->method, r->path, why,
	         origin ? origin : "");
	api_fail(out, API_E_CROSS_SITE, NULL,
	         "cross-site %s refused (%s: %.80s): writes are taken only from "
	         "this origin or from tools that send no Origin", r->method, why,
	         why[0] == 'O' ? origin : sfs);
	return false;
}

/* "type/subtype" of a Content-Type, without parameters, equals want. */
static bool media_is(const char *ct, const char *want)
{
	while (*ct == ' ' || *ct == '\t') ct++;
	size_t n = strcspn(ct, "; \t");
	return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

/* False (415 in out): a body without the route's content type, or a
 * content type that is not the route's. A request without a body and
 * without a Content-Type passes: no form sends that. */
bool api_ctype_ok(api_req *r, api_resp *out)
{
	if (!is_write(r->method)) return true;
	const char *want = r->route->import_body ? "text/dns"
	                                         : "application/json";
	const char *ct = api_header(r, "Content-Type");
	const char *cl = api_header(r, "Content-Length");
	bool body = api_header(r, "Transfer-Encoding") != NULL ||
	            (cl && strspn(cl, "0") != strlen(cl));
	if (ct ? media_is(ct, want) : !body) return true;
	api_fail(out, API_E_MEDIA_TYPE, NULL,
	         "%s %s takes Content-Type: %s (got %.60s)", r->method,
	         r->route->path, want, ct ? ct : "none");
	return false;
}
