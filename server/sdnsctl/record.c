/* sdnsctl record add|list|delete|update: records of one zone through the
 * management API. Writes may carry --if-match SERIAL (optimistic
 * concurrency: the API answers 412 when the zone moved on). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apicmd.h"
#include "ctl.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl record list ZONE [API]\n"
	      "       sdnsctl record add ZONE NAME TYPE VALUE [--ttl N] "
	      "[--if-match SERIAL] [API]\n"
	      "       sdnsctl record update ZONE ID NAME TYPE VALUE [--ttl N] "
	      "[--if-match SERIAL] [API]\n"
	      "       sdnsctl record delete ZONE ID [--if-match SERIAL] [API]\n\n"
	      "NAME: '@' is the apex; a name ending in ZONE is taken as it is\n"
	      "(final dot or not); one label is relative to ZONE ('www'); any\n"
	      "other name is refused as outside the zone. VALUE is presentation\n"
	      "format, quoted as one argument (\"10 mx.example.\").\n\n"
	      SDNSCTL_API_HELP, f);
}

typedef struct {
	ctl_api_opts o;
	const char *pos[6];
	int npos;
	const char *ttl, *if_match;
	char cmd[32];
} rec_args;

static int parse(int argc, char **argv, rec_args *a, int want, bool writes)
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	snprintf(a->cmd, sizeof(a->cmd), "record %s", argv[1]);
	for (int i = 2; i < argc; i++) {
		bool bad = false;
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		const char *ttl = ctl_flag(argc, argv, &i, "--ttl", &bad);
		const char *im = ttl || bad ? NULL
		                 : ctl_flag(argc, argv, &i, "--if-match", &bad);
		if (bad)
			return 2;
		if (ttl && want >= 4) {
			a->ttl = ttl;
		} else if (im && writes) {
			a->if_match = im;
		} else if (ttl || im || !strncmp(argv[i], "--", 2)) {
			fprintf(stderr, "sdnsctl %s: unknown option '%s'\n", a->cmd,
			        argv[i]);
			return 2;
		} else if (a->npos < 6) {
			a->pos[a->npos++] = argv[i];
		} else {
			a->npos++;
		}
	}
	long long v;
	if (a->ttl && !ctl_parse_num(a->cmd, "--ttl", a->ttl, 0, 2147483647, &v))
		return 2;
	if (a->if_match &&
	    !ctl_parse_num(a->cmd, "--if-match", a->if_match, 1, 4294967295LL, &v))
		return 2;
	if (a->npos != want) {
		fprintf(stderr, "sdnsctl %s: wants %d arguments\n", a->cmd, want);
		usage(stderr);
		return 2;
	}
	return 0;
}

static void print_record_row(const json_t *rec)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32];
	printf("%-8s %-36s %8s %-6s %s\n", ctl_jstr(rec, "id", b1, 32),
	       ctl_jstr(rec, "name", b2, 32), ctl_jstr(rec, "ttl", b3, 32),
	       ctl_jstr(rec, "type", b4, 32), ctl_jstr(rec, "value", b5, 32));
}

static void print_header(void)
{
	printf("%-8s %-36s %8s %-6s %s\n", "ID", "NAME", "TTL", "TYPE", "VALUE");
}

/* "/zones/<zone>/records[/<id>]" */
static int rec_path(const rec_args *a, const char *id, char *path, size_t cap)
{
	char z[600], i[64];
	int st = ctl_api_seg(a->cmd, a->pos[0], z, sizeof(z));
	if (!st && id)
		st = ctl_api_seg(a->cmd, id, i, sizeof(i));
	if (!st)
		snprintf(path, cap, "/zones/%s/records%s%s", z, id ? "/" : "",
		         id ? i : "");
	return st;
}

static int record_list(int argc, char **argv)
{
	rec_args a;
	char path[700];
	int st = parse(argc, argv, &a, 1, false);
	if (st || (st = rec_path(&a, NULL, path, sizeof(path))))
		return st;
	ctl_api_req req = {.method = "GET", .path = path};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, a.cmd, true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		print_header();
		size_t i;
		json_t *rec;
		json_array_foreach(json_object_get(j, "records"), i, rec)
			print_record_row(rec);
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* add (pos: ZONE NAME TYPE VALUE) and update (ZONE ID NAME TYPE VALUE). */
static int record_write(int argc, char **argv, bool update)
{
	rec_args a;
	char path[700];
	int st = parse(argc, argv, &a, update ? 5 : 4, true);
	if (st || (st = rec_path(&a, update ? a.pos[1] : NULL, path,
	                         sizeof(path))))
		return st;
	const char *const *f = a.pos + (update ? 2 : 1);
	/* NAME goes as written: the API applies the one rule of names */
	json_t *body = json_pack("{s:s, s:s, s:s}", "name", f[0], "type", f[1],
	                         "value", f[2]);
	long long ttl;
	if (a.ttl && ctl_parse_num(a.cmd, "--ttl", a.ttl, 0, 2147483647, &ttl))
		json_object_set_new(body, "ttl", json_integer(ttl));
	ctl_api_req req = {.method = update ? "PUT" : "POST", .path = path,
	                   .json = body, .if_match = a.if_match};
	sdns_apiclient_resp r;
	json_t *j;
	st = ctl_api_call(&a.o, a.cmd, true, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		uint32_t serial;
		print_header();
		print_record_row(j);
		if (sdns_apiclient_resp_serial(&r, &serial) == 0)
			printf("zone %s serial %u\n", a.pos[0], serial);
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int record_add(int argc, char **argv)
{
	return record_write(argc, argv, false);
}

static int record_update(int argc, char **argv)
{
	return record_write(argc, argv, true);
}

static int record_delete(int argc, char **argv)
{
	rec_args a;
	char path[700];
	long long id;
	int st = parse(argc, argv, &a, 2, true);
	if (st)
		return st;
	if (!ctl_parse_num(a.cmd, "ID", a.pos[1], 1, INT64_MAX, &id))
		return 2;
	if ((st = rec_path(&a, a.pos[1], path, sizeof(path))))
		return st;
	ctl_api_req req = {.method = "DELETE", .path = path,
	                   .if_match = a.if_match};
	sdns_apiclient_resp r;
	if ((st = ctl_api_call(&a.o, a.cmd, true, &req, &r, NULL)))
		return st;
	uint32_t serial;
	if (a.o.json)
		ctl_api_print_raw(&r);
	else if (sdns_apiclient_resp_serial(&r, &serial) == 0)
		printf("record %s deleted from %s, serial %u\n", a.pos[1], a.pos[0],
		       serial);
	else
		printf("record %s deleted from %s\n", a.pos[1], a.pos[0]);
	sdns_apiclient_resp_free(&r);
	return 0;
}

int ctl_record(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"list", record_list}, {"add", record_add},
		{"update", record_update}, {"delete", record_delete},
	};
	return ctl_dispatch("record", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}
