/* sdnsctl peer token|list|revoke: enrollment tokens, the peers of the mesh
 * and their revocation, through the management API. */
#include <stdio.h>
#include <string.h>

#include "apicmd.h"
#include "ctl.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl peer token --name NAME --role node|admin|client "
	      "[--ttl-seconds S] [API]\n"
	      "       sdnsctl peer list [API]\n"
	      "       sdnsctl peer revoke ID [--reason TEXT] [API]\n"
	      "       sdnsctl peer add --peer-cert PEER.pem --endpoint HOST:PORT\n"
	      "                        --zone-key B64|zone.pub|zone.key [API]\n\n"
	      "add: register a node certified elsewhere in this mesh (its\n"
	      "certificate, DoQ endpoint and zone public key).\n"
	      "token: a one-time enrollment token (shown once) and the command\n"
	      "that enrolls the new peer with it.\n\n"
	      SDNSCTL_API_HELP, f);
}

typedef struct {
	ctl_api_opts o;
	const char *pos[2];
	int npos;
	const char *name, *role, *ttl, *reason;
	char cmd[32];
} peer_args;

/* flags: the options this subcommand takes, by name. */
static int parse(int argc, char **argv, peer_args *a, int want,
                 const char *const *flags, const char **vals[])
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	snprintf(a->cmd, sizeof(a->cmd), "peer %s", argv[1]);
	for (int i = 2; i < argc; i++) {
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		bool bad = false, hit = false;
		for (size_t k = 0; flags && flags[k] && !hit && !bad; k++) {
			const char *v = ctl_flag(argc, argv, &i, flags[k], &bad);
			if (v) {
				*vals[k] = v;
				hit = true;
			}
		}
		if (bad)
			return 2;
		if (hit)
			continue;
		if (!strncmp(argv[i], "--", 2)) {
			fprintf(stderr, "sdnsctl %s: unknown option '%s'\n", a->cmd,
			        argv[i]);
			return 2;
		}
		if (a->npos < 2)
			a->pos[a->npos] = argv[i];
		a->npos++;
	}
	if (a->npos != want) {
		fprintf(stderr, "sdnsctl %s: wants %d argument%s\n", a->cmd, want,
		        want == 1 ? "" : "s");
		usage(stderr);
		return 2;
	}
	return 0;
}

static int peer_token(int argc, char **argv)
{
	peer_args a;
	static const char *const flags[] = {"--name", "--role", "--ttl-seconds",
	                                    NULL};
	const char **vals[] = {&a.name, &a.role, &a.ttl};
	int st = parse(argc, argv, &a, 0, flags, vals);
	if (st)
		return st;
	if (!a.name || !a.role) {
		fprintf(stderr, "sdnsctl peer token: --name and --role are required\n");
		return 2;
	}
	if (strcmp(a.role, "node") && strcmp(a.role, "admin") &&
	    strcmp(a.role, "client")) {
		fprintf(stderr, "sdnsctl peer token: --role is node, admin or client\n");
		return 2;
	}
	long long ttl = 0;
	if (a.ttl && !ctl_parse_num(a.cmd, "--ttl-seconds", a.ttl, 1,
	                            31536000, &ttl))
		return 2;
	json_t *body = json_pack("{s:s, s:s}", "name", a.name, "role", a.role);
	if (a.ttl)
		json_object_set_new(body, "ttl_seconds", json_integer(ttl));
	ctl_api_req req = {.method = "POST", .path = "/peers/tokens", .json = body};
	sdns_apiclient_resp r;
	json_t *j;
	st = ctl_api_call(&a.o, a.cmd, true, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b[32];
		printf("token:   %s\n", ctl_jstr(j, "token", b, 32));
		printf("for:     %s %s, expires %s (one use)\n",
		       ctl_jstr(j, "role", b, 32), ctl_jstr(j, "name", b, 32),
		       ctl_jstr(j, "expires_at", b, 32));
		/* The new host needs the mesh CA to trust the API: say so. */
		printf("enroll:  %s --ca ca.pem\n", ctl_jstr(j, "command", b, 32));
		printf("         (copy the mesh CA %s to the new host as ca.pem)\n",
		       a.o.conn.ca ? a.o.conn.ca : "");
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static void short_fpr(const char *f, char *out, size_t cap)
{
	snprintf(out, cap, "%.16s", f);
}

static int peer_list(int argc, char **argv)
{
	peer_args a;
	int st = parse(argc, argv, &a, 0, NULL, NULL);
	if (st)
		return st;
	ctl_api_req req = {.method = "GET", .path = "/peers"};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, a.cmd, true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		printf("%-6s %-20s %-7s %-8s %-22s %-16s %s\n", "ID", "NAME", "ROLE",
		       "STATUS", "DOQ", "FINGERPRINT", "ENROLLED");
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(j, "peers"), i, p) {
			char b[7][32], fpr[20];
			short_fpr(ctl_jstr(p, "fingerprint", b[5], 32), fpr, sizeof(fpr));
			printf("%-6s %-20s %-7s %-8s %-22s %-16s %s\n",
			       ctl_jstr(p, "id", b[0], 32), ctl_jstr(p, "name", b[1], 32),
			       ctl_jstr(p, "role", b[2], 32),
			       ctl_jstr(p, "status", b[3], 32),
			       ctl_jstr(p, "doq_endpoint", b[4], 32), fpr,
			       ctl_jstr(p, "enrolled_at", b[6], 32));
		}
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int peer_revoke(int argc, char **argv)
{
	peer_args a;
	static const char *const flags[] = {"--reason", NULL};
	const char **vals[] = {&a.reason};
	long long id;
	int st = parse(argc, argv, &a, 1, flags, vals);
	if (st)
		return st;
	if (!ctl_parse_num(a.cmd, "ID", a.pos[0], 1, INT64_MAX, &id))
		return 2;
	char path[600], reason[400] = "";
	if (a.reason && (st = ctl_api_seg(a.cmd, a.reason, reason,
	                                  sizeof(reason))))
		return st;
	snprintf(path, sizeof(path), "/peers/%lld%s%s", id,
	         a.reason ? "?reason=" : "", reason);
	ctl_api_req req = {.method = "DELETE", .path = path};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, a.cmd, true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b[3][32];
		printf("peer %lld (%s %s) %s\n", id, ctl_jstr(j, "role", b[0], 32),
		       ctl_jstr(j, "name", b[1], 32), ctl_jstr(j, "status", b[2], 32));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

int ctl_peer(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"token", peer_token}, {"list", peer_list}, {"revoke", peer_revoke},
		{"add", ctl_peer_add_main},
	};
	return ctl_dispatch("peer", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}
