/* Zones from master files; see sdns/zload.h. The file is parsed once into
 * a record list so that the apex can come from the SOA when no origin is
 * given. */
#include "sdns/zload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zfile.h"

#define ZLOAD_DEFAULT_TTL 3600

typedef struct {
	sdns_rr *rrs;
	size_t n, cap;
} rr_list;

static int collect(void *ctx, const sdns_rr *rr)
{
	rr_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		sdns_rr *p = realloc(l->rrs, cap * sizeof(*p));
		if (!p)
			return SDNS_ENOMEM;
		l->rrs = p;
		l->cap = cap;
	}
	uint8_t *copy = malloc(rr->rdlen ? rr->rdlen : 1);
	if (!copy)
		return SDNS_ENOMEM;
	memcpy(copy, rr->rdata, rr->rdlen);
	l->rrs[l->n] = *rr;
	l->rrs[l->n].rdata = copy;
	l->n++;
	return SDNS_OK;
}

static void list_free(rr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->rrs[i].rdata);
	free(l->rrs);
}

/* Split "ORIGIN=FILE"; a '=' in a path without a valid origin before it is
 * taken as part of the path. */
static const char *split_spec(const char *spec, sdns_name *origin, int *has)
{
	const char *eq = strchr(spec, '=');
	*has = 0;
	if (eq && eq > spec &&
	    sdns_name_from_str(origin, spec, (size_t)(eq - spec), NULL) == SDNS_OK) {
		*has = 1;
		return eq + 1;
	}
	return spec;
}

static int build(rr_list *l, const sdns_name *apex, sdns_zone **out,
                 char *err, size_t cap)
{
	sdns_zbuild *b = sdns_zbuild_new(apex);
	if (!b)
		return SDNS_ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		int rc = sdns_zbuild_add(b, &l->rrs[i]);
		if (rc < 0) {
			char owner[SDNS_NAME_STR_MAX];
			sdns_name_to_str(&l->rrs[i].owner, owner, sizeof(owner));
			snprintf(err, cap, "record %s: %s", owner, sdns_strerror(rc));
			sdns_zbuild_free(b);
			return rc;
		}
	}
	return sdns_zbuild_finish(b, out, err, cap);
}

int sdns_zload_spec(const char *spec, sdns_zone **out, char *err,
                    size_t err_cap)
{
	sdns_name origin;
	int has_origin;
	const char *path = split_spec(spec, &origin, &has_origin);
	rr_list l = {0};
	sdns_zfile_err zerr = {0};
	int rc = sdns_zfile_load(path, has_origin ? &origin : NULL,
	                         ZLOAD_DEFAULT_TTL, collect, &l, &zerr);
	if (rc < 0) {
		if (zerr.line > 0)
			snprintf(err, err_cap, "%s:%d: %s", path, zerr.line, zerr.msg);
		else
			snprintf(err, err_cap, "%s: %s", path,
			         zerr.msg[0] ? zerr.msg : sdns_strerror(rc));
		list_free(&l);
		return rc;
	}
	const sdns_name *apex = has_origin ? &origin : NULL;
	for (size_t i = 0; !apex && i < l.n; i++)
		if (l.rrs[i].type == SDNS_T_SOA)
			apex = &l.rrs[i].owner;
	if (!apex) {
		snprintf(err, err_cap, "%s: no SOA record, so no zone apex", path);
		list_free(&l);
		return SDNS_EZONE;
	}
	char msg[256] = "";
	rc = build(&l, apex, out, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, err_cap, "%s: %s", path, msg[0] ? msg : sdns_strerror(rc));
	list_free(&l);
	return rc;
}

int sdns_zload_set(const char *const *specs, size_t n, sdns_zoneset **out,
                   char *err, size_t err_cap)
{
	sdns_zone **zones = calloc(n ? n : 1, sizeof(*zones));
	if (!zones)
		return SDNS_ENOMEM;
	int rc = SDNS_OK;
	size_t loaded = 0;
	for (; loaded < n; loaded++) {
		rc = sdns_zload_spec(specs[loaded], &zones[loaded], err, err_cap);
		if (rc < 0)
			break;
		for (size_t j = 0; j < loaded; j++) {
			if (sdns_name_eq_ci(sdns_zone_apex(zones[j]),
			                    sdns_zone_apex(zones[loaded]))) {
				char apex[SDNS_NAME_STR_MAX];
				sdns_name_to_str(sdns_zone_apex(zones[j]), apex, sizeof(apex));
				snprintf(err, err_cap, "zone %s is loaded twice (%s)", apex,
				         specs[loaded]);
				loaded++;
				rc = SDNS_EEXIST;
				break;
			}
		}
		if (rc < 0)
			break;
	}
	if (rc == SDNS_OK)
		rc = sdns_zoneset_new(zones, n, out);
	if (rc < 0)
		for (size_t j = 0; j < loaded; j++)
			sdns_zone_free(zones[j]);
	free(zones);
	return rc;
}
