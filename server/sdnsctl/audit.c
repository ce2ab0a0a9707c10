/* sdnsctl audit list|verify: read the audit chain through the management
 * API and have the server verify it. verify exits 1 when the chain does
 * not verify, after printing the first bad entry. */
#include <stdio.h>
#include <string.h>

#include "apicmd.h"
#include "ctl.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl audit list [--after ID] [--limit N] [--actor A] "
	      "[--action A] [API]\n"
	      "       sdnsctl audit verify [API]\n\n"
	      "verify: walks the whole chain (hashes, links, signatures); exit\n"
	      "status 1 and the first bad entry when it does not verify.\n\n"
	      "API: --api URL --ca F --cert F --key F [--timeout-ms N] [--json]\n"
	      "(defaults from SDNS_API, SDNS_CA, SDNS_CERT, SDNS_KEY).\n", f);
}

typedef struct {
	ctl_api_opts o;
	const char *after, *limit, *actor, *action;
} audit_args;

static int parse(int argc, char **argv, audit_args *a, bool filters)
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	static const char *const names[] = {"--after", "--limit", "--actor",
	                                    "--action"};
	const char **vals[] = {&a->after, &a->limit, &a->actor, &a->action};
	for (int i = 2; i < argc; i++) {
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		bool bad = false, hit = false;
		for (size_t k = 0; filters && k < 4 && !hit && !bad; k++) {
			const char *v = ctl_flag(argc, argv, &i, names[k], &bad);
			if (v) {
				*vals[k] = v;
				hit = true;
			}
		}
		if (bad)
			return 2;
		if (!hit) {
			fprintf(stderr, "sdnsctl audit %s: unexpected '%s'\n", argv[1],
			        argv[i]);
			usage(stderr);
			return 2;
		}
	}
	long long v;
	if (a->after && !ctl_parse_num("audit list", "--after", a->after, 0,
	                               INT64_MAX, &v))
		return 2;
	if (a->limit && !ctl_parse_num("audit list", "--limit", a->limit, 1,
	                               1000, &v))
		return 2;
	return 0;
}

/* Appends "&key=escaped" (or "?key=" first) to q. */
static int add_query(char *q, size_t cap, const char *key, const char *val)
{
	if (!val)
		return 0;
	char esc[600];
	if (ctl_api_seg("audit list", val, esc, sizeof(esc)))
		return 2;
	size_t used = strlen(q);
	int n = snprintf(q + used, cap - used, "%c%s=%s",
	                 strchr(q, '?') ? '&' : '?', key, esc);
	if (n < 0 || (size_t)n >= cap - used) {
		fprintf(stderr, "sdnsctl audit list: filter too long\n");
		return 2;
	}
	return 0;
}

static void print_entries(const json_t *entries)
{
	printf("%-8s %-27s %-40s %-16s %s\n", "ID", "TIME", "ACTOR", "ACTION",
	       "OBJECT");
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		char b[5][32];
		printf("%-8s %-27s %-40s %-16s %s\n", ctl_jstr(e, "id", b[0], 32),
		       ctl_jstr(e, "ts", b[1], 32), ctl_jstr(e, "actor", b[2], 32),
		       ctl_jstr(e, "action", b[3], 32),
		       ctl_jstr(e, "object", b[4], 32));
	}
}

static int audit_list(int argc, char **argv)
{
	audit_args a;
	char path[2600] = "/audit";
	int st = parse(argc, argv, &a, true);
	if (st || (st = add_query(path, sizeof(path), "after", a.after)) ||
	    (st = add_query(path, sizeof(path), "limit", a.limit)) ||
	    (st = add_query(path, sizeof(path), "actor", a.actor)) ||
	    (st = add_query(path, sizeof(path), "action", a.action)))
		return st;
	ctl_api_req req = {.method = "GET", .path = path};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, "audit list", true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		print_entries(json_object_get(j, "entries"));
		json_t *next = json_object_get(j, "next_after");
		if (json_is_integer(next))
			printf("(more: --after %lld)\n",
			       (long long)json_integer_value(next));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* The entry with this id, as the API stores it, pretty-printed. */
static void print_bad_entry(const audit_args *a, long long id)
{
	char path[64];
	snprintf(path, sizeof(path), "/audit?after=%lld&limit=1", id - 1);
	ctl_api_req req = {.method = "GET", .path = path};
	sdns_apiclient_resp r;
	json_t *j;
	if (ctl_api_call(&a->o, "audit verify", true, &req, &r, &j))
		return;
	json_t *e = json_array_get(json_object_get(j, "entries"), 0);
	if (e && json_integer_value(json_object_get(e, "id")) == id) {
		fputs("first bad entry:\n", stderr);
		json_dumpf(e, stderr, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stderr);
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
}

static int audit_verify(int argc, char **argv)
{
	audit_args a;
	int st = parse(argc, argv, &a, false);
	if (st)
		return st;
	ctl_api_req req = {.method = "GET", .path = "/audit/verify"};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, "audit verify", true, &req, &r, &j)))
		return st;
	bool ok = json_is_true(json_object_get(j, "ok"));
	char b[3][32];
	if (a.o.json)
		ctl_api_print_raw(&r);
	else if (ok)
		printf("audit chain OK: %s entries checked\n",
		       ctl_jstr(j, "checked", b[0], 32));
	if (!ok && !a.o.json) {
		fprintf(stderr, "sdnsctl audit verify: chain broken at entry %s: %s "
		        "(%s entries checked)\n",
		        ctl_jstr(j, "first_bad_id", b[0], 32),
		        ctl_jstr(j, "reason", b[1], 32),
		        ctl_jstr(j, "checked", b[2], 32));
		json_t *bad = json_object_get(j, "first_bad_id");
		if (json_is_integer(bad))
			print_bad_entry(&a, (long long)json_integer_value(bad));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return ok ? 0 : 1;
}

int ctl_audit(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"list", audit_list}, {"verify", audit_verify},
	};
	return ctl_dispatch("audit", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}
