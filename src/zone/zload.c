/* Zones from "[ORIGIN=]FILE" specs; see sdns/zload.h. Without an origin, a
 * first pass stops at the file's SOA to learn the apex, then the zone
 * module's loader reads the file with that origin. */
#include "sdns/zload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/zfile.h"

enum { FOUND_SOA = 1 }; /* positive: stops the parser without an error */

static int find_soa(void *ctx, const sdns_rr *rr)
{
	if (rr->type != SDNS_T_SOA)
		return SDNS_OK;
	*(sdns_name *)ctx = rr->owner;
	return FOUND_SOA;
}

static int apex_from_soa(const char *path, sdns_name *apex, char *err,
                         size_t err_cap)
{
	sdns_zfile_err ze;
	memset(&ze, 0, sizeof(ze));
	int rc = sdns_zfile_load(path, NULL, SDNS_ZONE_DEFAULT_TTL, find_soa,
	                         apex, &ze);
	if (rc == FOUND_SOA)
		return SDNS_OK;
	if (rc < 0)
		snprintf(err, err_cap, "%s: %s", path,
		         ze.msg[0] ? ze.msg : sdns_strerror(rc));
	else
		snprintf(err, err_cap, "%s: no SOA record, so no zone apex (or "
		         "give one: ORIGIN=%s)", path, path);
	return rc < 0 ? rc : SDNS_EZONE;
}

/* ORIGIN of "ORIGIN=FILE", with or without its final dot. */
static bool origin_of(const char *spec, const char *eq, sdns_name *origin)
{
	char t[1100];
	size_t n = (size_t)(eq - spec);
	if (n == 0 || n + 2 > sizeof t)
		return false;
	memcpy(t, spec, n);
	if (t[n - 1] != '.')
		t[n++] = '.';
	return sdns_name_from_str(origin, t, n, NULL) == SDNS_OK;
}

int sdns_zload_spec(const char *spec, sdns_zone **out, char *err,
                    size_t err_cap)
{
	sdns_name origin;
	const char *path = spec;
	const char *eq = strchr(spec, '=');
	/* A '=' not preceded by a valid name is part of the path. */
	if (eq && origin_of(spec, eq, &origin))
		path = eq + 1;
	else {
		if (eq && access(spec, F_OK) != 0) {
			snprintf(err, err_cap, "'%.*s' in '%s' is not a zone name, and "
			         "no file is named '%s'", (int)(eq - spec), spec, spec,
			         spec);
			return SDNS_ENAME;
		}
		int rc = apex_from_soa(path, &origin, err, err_cap);
		if (rc < 0)
			return rc;
	}
	return sdns_zone_load_file(path, &origin, out, err, err_cap);
}

int sdns_zload_set(const char *const *specs, size_t n, sdns_zoneset **out,
                   char *err, size_t err_cap)
{
	sdns_zone **zones = calloc(n ? n : 1, sizeof(*zones));
	if (!zones)
		return SDNS_ENOMEM;
	int rc = SDNS_OK;
	size_t loaded = 0;
	while (loaded < n && rc == SDNS_OK) {
		rc = sdns_zload_spec(specs[loaded], &zones[loaded], err, err_cap);
		if (rc == SDNS_OK)
			loaded++;
	}
	if (rc == SDNS_OK) {
		rc = sdns_zoneset_new(zones, n, out);
		if (rc == SDNS_EEXIST)
			snprintf(err, err_cap, "two zone files have the same apex");
	}
	if (rc < 0) /* on error the zones are still ours */
		for (size_t j = 0; j < loaded; j++)
			sdns_zone_free(zones[j]);
	free(zones);
	return rc;
}
