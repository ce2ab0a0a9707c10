/* Loading a zone from a master file: the zone module's only I/O. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zfile.h"
#include "sdns/zone.h"

typedef struct {
	sdns_zbuild *b;
	int rc;
} load_ctx;

static int load_cb(void *ctx, const sdns_rr *rr)
{
	load_ctx *c = ctx;
	c->rc = sdns_zbuild_add(c->b, rr);
	return c->rc;
}

int sdns_zone_load_file(const char *path, const sdns_name *origin,
                        sdns_zone **out, char *err_msg, size_t err_cap)
{
	if (out) *out = NULL;
	if (!path || !origin || !out) return SDNS_EINVAL;
	load_ctx c = { sdns_zbuild_new(origin), 0 };
	if (!c.b) return SDNS_ENOMEM;
	sdns_zfile_err ze;
	memset(&ze, 0, sizeof(ze));
	int rc = sdns_zfile_load(path, origin, SDNS_ZONE_DEFAULT_TTL, load_cb,
	                         &c, &ze);
	if (rc) {
		/* The parser's words already start with "line N: "; a builder
		 * refusal gets the same prefix from the parser's line. */
		if (err_msg && err_cap) {
			if (c.rc && ze.line > 0)
				snprintf(err_msg, err_cap, "%s: line %d: %s", path,
				         ze.line, sdns_zbuild_error(c.b));
			else
				snprintf(err_msg, err_cap, "%s: %s", path,
				         ze.msg[0] ? ze.msg : sdns_strerror(rc));
		}
		sdns_zbuild_free(c.b);
		return rc;
	}
	char msg[256] = "";
	rc = sdns_zbuild_finish(c.b, out, msg, sizeof(msg));
	if (rc && err_msg && err_cap)
		snprintf(err_msg, err_cap, "%s: %s", path, msg);
	return rc;
}
