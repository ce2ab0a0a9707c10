/* sdnsctl pki: init (a starter PKI), issue (one more certificate),
 * pin (SPKI pin and fingerprint of a certificate). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditcp.h"
#include "ctl.h"
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/pki.h"

#define MAX_SANS 32
#define PATH_CAP 4096

typedef struct {
	const char *dir, *mesh, *node, *admin, *role, *name, *out, *alg;
	const char *p12_pass, *cert, *days;
	const char *sans[MAX_SANS];
	size_t n_sans;
	bool p12, help;
} pki_args;

enum { O_DIR = 1, O_MESH, O_NODE, O_ADMIN, O_ROLE, O_NAME, O_SAN, O_OUT,
       O_ALG, O_P12, O_P12_PASS, O_CERT, O_DAYS, O_HELP };

static const char init_usage[] =
	"usage: sdnsctl pki init --dir DIR [options]\n"
	"Creates a mesh CA, a node and an admin certificate in DIR:\n"
	"ca.pem ca.key node.pem node.key admin.pem admin.key admin.p12, and\n"
	"the node's audit key audit.key (seed) + audit.pub (sdnsd's default).\n"
	"Keys are written mode 0600; an existing DIR/ca.key is never replaced.\n"
	"  --dir DIR         where to write (created, mode 0700, if missing)\n"
	"  --mesh NAME       mesh name in spiffe://NAME/... (default \"mesh\")\n"
	"  --node NAME       node name (default: this host's name, lowercased)\n"
	"  --admin NAME      admin name (default \"admin\")\n"
	"  --san IP|DNS      a node SAN; repeat for more\n"
	"                    (default: localhost 127.0.0.1 ::1)\n"
	"  --alg ALG         p256 (default: browsers take it for the console)\n"
	"                    or ed25519 (not usable from a browser)\n"
	"  --p12-pass PASS   password of admin.p12 (default: empty)\n"
	"  --help            this text\n"
	"Names: 1-63 of a-z 0-9 . - (lowercase); a node name has no dot.\n";

static const char issue_usage[] =
	"usage: sdnsctl pki issue --dir DIR --role ROLE --name NAME [options]\n"
	"Issues a certificate from DIR/ca.pem and DIR/ca.key.\n"
	"  --dir DIR         directory of the CA\n"
	"  --role ROLE       node (server+client auth), admin or client\n"
	"                    (client auth only)\n"
	"  --name NAME       CN and spiffe://MESH/ROLE/NAME; 1-63 of a-z 0-9 . -\n"
	"  --san IP|DNS      a SAN; repeat for more (node default:\n"
	"                    localhost 127.0.0.1 ::1; others: none)\n"
	"  --out PREFIX      write PREFIX.pem PREFIX.key [PREFIX.p12]\n"
	"                    (default DIR/NAME); keys are never replaced\n"
	"  --mesh NAME       mesh name (default: from the CA's subject)\n"
	"  --days N          validity in days, 1-825 (default 90: renew\n"
	"                    by issuing again with a new --out)\n"
	"  --alg ALG         p256 (default) or ed25519\n"
	"  --p12             also write PREFIX.p12 (key, certificate, CA)\n"
	"  --p12-pass PASS   its password (default: empty)\n"
	"  --help            this text\n";

static const char pin_usage[] =
	"usage: sdnsctl pki pin --cert FILE\n"
	"Prints the SPKI pin, base64(SHA-256(DER SubjectPublicKeyInfo)), and\n"
	"the SHA-256 fingerprint of the certificate, in hex.\n"
	"  --cert FILE       PEM certificate\n"
	"  --help            this text\n";

static const char zonekey_usage[] =
	"usage: sdnsctl pki zonekey --out DIR\n"
	"Writes a new Ed25519 zone key: DIR/zone.key (the 32-byte seed, mode\n"
	"0600, never replaced) and DIR/zone.pub (base64 public key), as\n"
	"'sdnsctl enroll' does; sdnsd --zone-key DIR/zone.key signs with it.\n"
	"  --out DIR         where to write (must exist)\n"
	"  --help            this text\n";

static const char pki_usage[] =
	"usage: sdnsctl pki COMMAND [options]\n"
	"  init    create a CA, a node and an admin certificate\n"
	"  issue   issue a node, admin or client certificate\n"
	"  pin     print a certificate's SPKI pin and fingerprint\n"
	"  zonekey write a zone signing key (zone.key + zone.pub)\n"
	"'sdnsctl pki COMMAND --help' lists the options.\n";

static const struct option all_opts[] = {
	{"dir", required_argument, NULL, O_DIR},
	{"mesh", required_argument, NULL, O_MESH},
	{"node", required_argument, NULL, O_NODE},
	{"admin", required_argument, NULL, O_ADMIN},
	{"role", required_argument, NULL, O_ROLE},
	{"name", required_argument, NULL, O_NAME},
	{"san", required_argument, NULL, O_SAN},
	{"out", required_argument, NULL, O_OUT},
	{"alg", required_argument, NULL, O_ALG},
	{"p12", no_argument, NULL, O_P12},
	{"p12-pass", required_argument, NULL, O_P12_PASS},
	{"cert", required_argument, NULL, O_CERT},
	{"days", required_argument, NULL, O_DAYS},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

/* The message, the usage line and where the rest is. */
static int usage_error(const char *cmd, const char *usage, const char *what)
{
	const char *nl = strchr(usage, '\n');
	int len = nl ? (int)(nl - usage) : (int)strlen(usage);
	fprintf(stderr, "sdnsctl pki %s: %s\n%.*s\n'sdnsctl pki %s --help' "
	        "lists the options.\n", cmd, what, len, usage, cmd);
	return 2;
}

/* Options a subcommand accepts, as a string of O_* codes. */
static bool allowed(const char *accepts, int code)
{
	return strchr(accepts, code) != NULL;
}

static int store_opt(pki_args *a, int code, const char *val)
{
	const char **slot[] = {
		[O_DIR] = &a->dir, [O_MESH] = &a->mesh, [O_NODE] = &a->node,
		[O_ADMIN] = &a->admin, [O_ROLE] = &a->role, [O_NAME] = &a->name,
		[O_OUT] = &a->out, [O_ALG] = &a->alg, [O_P12_PASS] = &a->p12_pass,
		[O_CERT] = &a->cert, [O_DAYS] = &a->days,
	};
	if (code == O_HELP)
		a->help = true;
	else if (code == O_P12)
		a->p12 = true;
	else if (code == O_SAN) {
		if (a->n_sans == MAX_SANS)
			return -1;
		a->sans[a->n_sans++] = val;
	} else
		*slot[code] = val;
	return 0;
}

static int parse(int argc, char **argv, const char *accepts, const char *usage,
                 pki_args *a)
{
	char msg[300];
	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	for (;;) {
		int idx = -1;
		int c = getopt_long(argc, argv, ":", all_opts, &idx);
		if (c == -1)
			break;
		if (c == ':' || c == '?') {
			snprintf(msg, sizeof(msg), "%s '%s'",
			         c == ':' ? "missing value for" : "unknown option",
			         argv[optind - 1]);
			return usage_error(argv[0], usage, msg);
		}
		if (!allowed(accepts, c)) {
			/* Known to another subcommand; its value already skipped. */
			snprintf(msg, sizeof(msg), "unknown option '--%s'",
			         all_opts[idx].name);
			return usage_error(argv[0], usage, msg);
		}
		if (store_opt(a, c, optarg) < 0)
			return usage_error(argv[0], usage, "too many --san");
	}
	if (a->help) {
		fputs(usage, stdout);
		return 0;
	}
	if (optind < argc) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s'", argv[optind]);
		return usage_error(argv[0], usage, msg);
	}
	return -1;
}

static int parse_alg(const char *s, sdns_keyalg *alg)
{
	/* P-256 by default: Chromium and Firefox offer no Ed25519 signature
	 * in TLS, so an Ed25519 node cannot serve the console nor an Ed25519
	 * admin.p12 log into it */
	if (!s || !strcmp(s, "p256"))
		*alg = SDNS_KEY_P256;
	else if (!strcmp(s, "ed25519"))
		*alg = SDNS_KEY_ED25519;
	else
		return -1;
	return 0;
}

/* A library failure: bad values are usage errors, the rest failures. */
static int failed(int rc, const char *err)
{
	fprintf(stderr, "sdnsctl pki: %s\n", err);
	return rc == SDNS_EINVAL ? 2 : 1;
}

static int cmd_init(int argc, char **argv)
{
	static const char accepts[] = {O_DIR, O_MESH, O_NODE, O_ADMIN, O_SAN,
	                               O_ALG, O_P12_PASS, O_HELP, 0};
	pki_args a;
	int rc = parse(argc, argv, accepts, init_usage, &a);
	if (rc >= 0)
		return rc;
	if (!a.dir)
		return usage_error("init", init_usage, "--dir is required");
	sdns_pki_init_opts o = {.dir = a.dir, .mesh = a.mesh, .node = a.node,
	                        .admin = a.admin, .sans = a.sans,
	                        .n_sans = a.n_sans, .p12_pass = a.p12_pass};
	if (parse_alg(a.alg, &o.alg) < 0)
		return usage_error("init", init_usage, "--alg must be ed25519 or p256");
	char err[512];
	if ((rc = sdns_pki_init(&o, err, sizeof(err))) < 0)
		return failed(rc, err);
	if (ctl_auditkey_write(a.dir) < 0)
		return 1;
	printf("wrote %s/{ca,node,admin}.{pem,key}, %s/admin.p12 and "
	       "%s/audit.{key,pub}\n", a.dir, a.dir, a.dir);
	return 0;
}

static int join(char *buf, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, PATH_CAP, "%s%s%s", a, b, c);
	return n < 0 || n >= PATH_CAP ? -1 : 0;
}

static const char *const node_sans[] = {"localhost", "127.0.0.1", "::1"};

static int cmd_issue(int argc, char **argv)
{
	static const char accepts[] = {O_DIR, O_ROLE, O_NAME, O_SAN, O_OUT,
	                               O_MESH, O_ALG, O_P12, O_P12_PASS, O_DAYS,
	                               O_HELP, 0};
	pki_args a;
	int rc = parse(argc, argv, accepts, issue_usage, &a);
	if (rc >= 0)
		return rc;
	if (!a.dir || !a.role || !a.name)
		return usage_error("issue", issue_usage,
		                   "--dir, --role and --name are required");
	sdns_pki_leaf_opts o = {.role = sdns_role_from_name(a.role),
	                        .mesh = a.mesh, .name = a.name,
	                        .sans = a.sans, .n_sans = a.n_sans};
	if (o.role == SDNS_ROLE_NONE)
		return usage_error("issue", issue_usage,
		                   "--role must be node, admin or client");
	if (parse_alg(a.alg, &o.alg) < 0)
		return usage_error("issue", issue_usage, "--alg must be ed25519 or p256");
	if (a.days) {
		char *end;
		long d = strtol(a.days, &end, 10);
		if (*end || end == a.days || d < 1 || d > 825)
			return usage_error("issue", issue_usage,
			                   "--days must be a whole number 1-825");
		o.not_after_s = (int64_t)d * 86400;
	}
	if (o.role == SDNS_ROLE_NODE && a.n_sans == 0)
		o.sans = node_sans, o.n_sans = 3;
	static char ca_pem[PATH_CAP], ca_key[PATH_CAP], prefix[PATH_CAP];
	static char pem[PATH_CAP], key[PATH_CAP], p12[PATH_CAP];
	if (join(ca_pem, a.dir, "/ca", ".pem") < 0 ||
	    join(ca_key, a.dir, "/ca", ".key") < 0 ||
	    (a.out ? join(prefix, a.out, "", "") : join(prefix, a.dir, "/", a.name)) < 0 ||
	    join(pem, prefix, ".pem", "") < 0 || join(key, prefix, ".key", "") < 0 ||
	    join(p12, prefix, ".p12", "") < 0)
		return usage_error("issue", issue_usage, "path too long");
	o.ca_cert_path = ca_pem, o.ca_key_path = ca_key;
	o.cert_path = pem, o.key_path = key;
	o.p12_path = a.p12 ? p12 : NULL;
	o.p12_pass = a.p12_pass ? a.p12_pass : "";
	char err[512];
	if ((rc = sdns_pki_issue(&o, err, sizeof(err))) < 0)
		return failed(rc, err);
	printf("wrote %s %s%s%s\n", pem, key, a.p12 ? " " : "", a.p12 ? p12 : "");
	return 0;
}

static int cmd_pin(int argc, char **argv)
{
	static const char accepts[] = {O_CERT, O_HELP, 0};
	pki_args a;
	int rc = parse(argc, argv, accepts, pin_usage, &a);
	if (rc >= 0)
		return rc;
	if (!a.cert)
		return usage_error("pin", pin_usage, "--cert is required");
	char pin[SDNS_PKI_PIN_MAX], fpr[SDNS_PKI_FPR_MAX];
	rc = sdns_pki_spki_pin_file(a.cert, pin, sizeof(pin));
	if (rc == SDNS_OK)
		rc = sdns_pki_fingerprint_file(a.cert, fpr, sizeof(fpr));
	if (rc < 0) {
		fprintf(stderr, "sdnsctl pki: %s : %s\n", a.cert,
		        rc == SDNS_ECERT ? "not a PEM certificate" : sdns_strerror(rc));
		return 1;
	}
	printf("pin-sha256 %s\nsha256 %s\n", pin, fpr);
	return 0;
}

static int cmd_zonekey(int argc, char **argv)
{
	static const char accepts[] = {O_OUT, O_HELP, 0};
	pki_args a;
	int rc = parse(argc, argv, accepts, zonekey_usage, &a);
	if (rc >= 0)
		return rc;
	if (!a.out)
		return usage_error("zonekey", zonekey_usage, "--out is required");
	char pub[64];
	if (ctl_zonekey_write(a.out, pub, sizeof(pub)) < 0)
		return 1;
	printf("wrote %s/zone.key %s/zone.pub (public %s)\n", a.out, a.out, pub);
	return 0;
}

int ctl_pki(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {{"init", cmd_init}, {"issue", cmd_issue}, {"pin", cmd_pin},
	            {"zonekey", cmd_zonekey}};
	if (argc < 2) {
		fputs(pki_usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(pki_usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sdnsctl pki: unknown command '%s'\n%s", argv[1], pki_usage);
	return 2;
}
