/* sdnsctl zone: `check` parses master files locally exactly as sdnsd loads
 * them; `list|create|delete|import` drive the management API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apicmd.h"
#include "ctl.h"
#include "sdns/error.h"
#include "sdns/zload.h"

#define IMPORT_MAX (4u << 20)  /* the API's limit for master files */

static void usage(FILE *f)
{
	fputs("usage: sdnsctl zone check [ORIGIN=]FILE...\n"
	      "       sdnsctl zone list [API]\n"
	      "       sdnsctl zone create ZONE [--owner NODE] [API]\n"
	      "       sdnsctl zone delete ZONE [API]\n"
	      "       sdnsctl zone import ZONE FILE [API]\n\n"
	      "check: checks master files exactly as sdnsd loads them: syntax\n"
	      "(with line numbers), one SOA at the apex, CNAME exclusivity.\n"
	      "import: replaces every record of ZONE with FILE (origin = ZONE).\n\n"
	      "API: --api URL --ca F --cert F --key F [--timeout-ms N] [--json]\n"
	      "(defaults from SDNS_API, SDNS_CA, SDNS_CERT, SDNS_KEY).\n", f);
}

static int zone_check(int argc, char **argv)
{
	int status = 0, files = 0;
	for (int i = 2; i < argc; i++) {
		files++;
		sdns_zone *z;
		char err[512] = "";
		int rc = sdns_zload_spec(argv[i], &z, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "sdnsctl zone: %s\n", err[0] ? err : sdns_strerror(rc));
			status = 1;
			continue;
		}
		char apex[SDNS_NAME_STR_MAX];
		sdns_name_to_str(sdns_zone_apex(z), apex, sizeof(apex));
		printf("%s: zone %s serial %u, %zu records: OK\n", argv[i], apex,
		       sdns_zone_serial(z), sdns_zone_rr_count(z));
		sdns_zone_free(z);
	}
	if (!files) {
		usage(stderr);
		return 2;
	}
	return status;
}

/* Options and positional arguments of one API subcommand. */
typedef struct {
	ctl_api_opts o;
	const char *pos[4];
	int npos;
	const char *owner;
} zone_args;

static int parse(int argc, char **argv, zone_args *a, int want)
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	for (int i = 2; i < argc; i++) {
		bool bad = false;
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		const char *v = ctl_flag(argc, argv, &i, "--owner", &bad);
		if (bad)
			return 2;
		if (v && !strcmp(argv[1], "create")) {
			a->owner = v;
		} else if (v || (argv[i][0] == '-' && argv[i][1])) {
			fprintf(stderr, "sdnsctl zone %s: unknown option '%s'\n",
			        argv[1], argv[i]);
			return 2;
		} else if (a->npos < 4) {
			a->pos[a->npos++] = argv[i];
		} else {
			a->npos++;
		}
	}
	if (a->npos != want) {
		fprintf(stderr, "sdnsctl zone %s: wants %d argument%s\n", argv[1],
		        want, want == 1 ? "" : "s");
		usage(stderr);
		return 2;
	}
	return 0;
}

static int zone_list(int argc, char **argv)
{
	zone_args a;
	int st = parse(argc, argv, &a, 0);
	if (st)
		return st;
	ctl_api_req req = {.method = "GET", .path = "/zones"};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, "zone list", true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		printf("%-32s %10s %-20s %7s  %s\n", "ZONE", "SERIAL", "OWNER",
		       "RECORDS", "UPDATED");
		size_t i;
		json_t *z;
		json_array_foreach(json_object_get(j, "zones"), i, z) {
			char b1[32], b2[32], b3[32], b4[32], b5[32];
			printf("%-32s %10s %-20s %7s  %s\n", ctl_jstr(z, "name", b1, 32),
			       ctl_jstr(z, "serial", b2, 32), ctl_jstr(z, "owner", b3, 32),
			       ctl_jstr(z, "records", b4, 32),
			       ctl_jstr(z, "updated_at", b5, 32));
		}
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int zone_create(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 1);
	if (st || (st = ctl_api_seg("zone create", a.pos[0], seg, sizeof(seg))))
		return st;
	snprintf(path, sizeof(path), "/zones/%s", seg);
	json_t *body = a.owner ? json_pack("{s:s}", "owner", a.owner) : NULL;
	ctl_api_req req = {.method = "POST", .path = path, .json = body};
	sdns_apiclient_resp r;
	json_t *j;
	st = ctl_api_call(&a.o, "zone create", true, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b1[32], b2[32];
		printf("zone %s created, serial %s, %zu records\n",
		       ctl_jstr(j, "name", b1, 32), ctl_jstr(j, "serial", b2, 32),
		       json_array_size(json_object_get(j, "records")));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int zone_delete(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 1);
	if (st || (st = ctl_api_seg("zone delete", a.pos[0], seg, sizeof(seg))))
		return st;
	snprintf(path, sizeof(path), "/zones/%s", seg);
	ctl_api_req req = {.method = "DELETE", .path = path};
	sdns_apiclient_resp r;
	if ((st = ctl_api_call(&a.o, "zone delete", true, &req, &r, NULL)))
		return st;
	if (a.o.json)
		ctl_api_print_raw(&r);
	else
		printf("zone %s deleted\n", a.pos[0]);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* The whole file, up to the API's import limit. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return NULL;
	}
	char *buf = malloc(IMPORT_MAX + 1);
	size_t n = buf ? fread(buf, 1, IMPORT_MAX + 1, f) : 0;
	bool err = ferror(f);
	fclose(f);
	if (!buf || err || n > IMPORT_MAX) {
		fprintf(stderr, "sdnsctl zone import: %s: %s\n", path,
		        err ? "read error" : "larger than 4 MiB");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int zone_import(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 2);
	if (st || (st = ctl_api_seg("zone import", a.pos[0], seg, sizeof(seg))))
		return st;
	size_t len = 0;
	char *text = slurp(a.pos[1], &len);
	if (!text)
		return 1;
	snprintf(path, sizeof(path), "/zones/%s/import", seg);
	ctl_api_req req = {.method = "POST", .path = path, .ctype = "text/dns",
	                   .body = text, .body_len = len};
	sdns_apiclient_resp r;
	json_t *j;
	st = ctl_api_call(&a.o, "zone import", true, &req, &r, &j);
	free(text);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b1[300], b2[32];
		printf("zone %s: %s records imported from %s\n",
		       ctl_jstr(j, "zone", b1, sizeof(b1)),
		       ctl_jstr(j, "records", b2, 32), a.pos[1]);
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

int ctl_zone(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"check", zone_check}, {"list", zone_list}, {"create", zone_create},
		{"delete", zone_delete}, {"import", zone_import},
	};
	return ctl_dispatch("zone", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}
