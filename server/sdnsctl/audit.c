/* sdnsctl audit list|verify|checkpoint|pubkey: read the audit chain
 * through the management API and have the server verify it against the
 * keys it trusts. verify exits 1 when the chain does not verify, after
 * printing the first bad entry, and, with --checkpoint, when the chain no
 * longer holds a head saved before (auditcp.c). */
#include <stdio.h>
#include <string.h>

#include "apicmd.h"
#include "auditcp.h"
#include "ctl.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl audit list [--after ID] [--limit N] [--actor A] "
	      "[--action A] [API]\n"
	      "       sdnsctl audit verify [--checkpoint FILE [--audit-pub KEY]] [API]\n"
	      "       sdnsctl audit checkpoint --out FILE [API]\n"
	      "       sdnsctl audit peers [API]\n"
	      "       sdnsctl audit pubkey --key FILE\n\n"
	      "verify: the server walks the whole chain (hashes, links, and\n"
	      "signatures by the audit keys it trusts); exit status 1 and the\n"
	      "first bad entry when it does not verify. With --checkpoint, the\n"
	      "chain must also still hold the head saved in FILE (same id, same\n"
	      "hash) and be at least that long; --audit-pub (base64, hex or a\n"
	      "file holding one) is the key the checkpoint must be signed by.\n"
	      "checkpoint: saves the server's signed head (GET /audit/head) to\n"
	      "FILE; keep it away from the database.\n"
	      "peers: the heads of the mesh peers' chains this node keeps;\n"
	      "exit status 1 when one went back (shorter, rewritten, new key).\n"
	      "pubkey: the audit public key (base64) of a seed file or an\n"
	      "Ed25519 PEM key, for sdnsd --audit-trust.\n\n"
	      SDNSCTL_API_HELP, f);
}

typedef struct {
	ctl_api_opts o;
	const char *after, *limit, *actor, *action;
	const char *checkpoint, *audit_pub, *out;
} audit_args;

/* The flags a subcommand takes besides the API ones: [lo, hi) of names. */
enum { F_LIST_LO = 0, F_LIST_HI = 4, F_VERIFY_LO = 4, F_VERIFY_HI = 6,
       F_CP_LO = 6, F_CP_HI = 7 };

static int parse(int argc, char **argv, audit_args *a, int lo, int hi)
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	static const char *const names[] = {"--after", "--limit", "--actor",
	                                    "--action", "--checkpoint",
	                                    "--audit-pub", "--out"};
	const char **vals[] = {&a->after, &a->limit, &a->actor, &a->action,
	                       &a->checkpoint, &a->audit_pub, &a->out};
	for (int i = 2; i < argc; i++) {
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		bool bad = false, hit = false;
		for (int k = lo; k < hi && !hit && !bad; k++) {
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
	int st = parse(argc, argv, &a, F_LIST_LO, F_LIST_HI);
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
	int st = parse(argc, argv, &a, F_VERIFY_LO, F_VERIFY_HI);
	if (st)
		return st;
	if (a.audit_pub && !a.checkpoint) {
		fprintf(stderr, "sdnsctl audit verify: --audit-pub goes with "
		        "--checkpoint\n");
		return 2;
	}
	ctl_checkpoint cp;
	if (a.checkpoint &&
	    (st = ctl_checkpoint_load(a.checkpoint, a.audit_pub, &cp)))
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
	if (ok && a.checkpoint)
		ok = ctl_checkpoint_check(&a.o, &cp, j) == 0;
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return ok ? 0 : 1;
}

/* The heads of the peers' chains this node keeps, and what went wrong. */
static int audit_peers(int argc, char **argv)
{
	audit_args a;
	int st = parse(argc, argv, &a, 0, 0);
	if (st)
		return st;
	ctl_api_req req = {.method = "GET", .path = "/audit/peers"};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, "audit peers", true, &req, &r, &j)))
		return st;
	bool bad = false;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(j, "peers"), i, p)
		bad |= json_integer_value(json_object_get(p, "problems")) > 0;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		printf("%-24s %-10s %-22s %-9s %s\n", "PEER", "HEAD", "SEEN AT",
		       "PROBLEMS", "LAST PROBLEM");
		json_array_foreach(json_object_get(j, "peers"), i, p) {
			char b[5][40];
			json_t *h = json_object_get(p, "head");
			printf("%-24s %-10s %-22s %-9s %s\n",
			       ctl_jstr(p, "name", b[0], 40), ctl_jstr(h, "id", b[1], 40),
			       ctl_jstr(h, "ts", b[2], 40),
			       ctl_jstr(p, "problems", b[3], 40),
			       ctl_jstr(p, "last_problem", b[4], 40));
		}
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return bad ? 1 : 0;
}

static int audit_checkpoint(int argc, char **argv)
{
	audit_args a;
	int st = parse(argc, argv, &a, F_CP_LO, F_CP_HI);
	if (st)
		return st;
	if (!a.out) {
		fprintf(stderr, "sdnsctl audit checkpoint: --out FILE is required\n");
		return 2;
	}
	return ctl_checkpoint_save(&a.o, a.out);
}

int ctl_audit(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"list", audit_list}, {"verify", audit_verify},
		{"checkpoint", audit_checkpoint}, {"pubkey", ctl_audit_pubkey},
		{"peers", audit_peers},
	};
	return ctl_dispatch("audit", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}
