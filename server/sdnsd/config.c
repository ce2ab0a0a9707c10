/* sdnsd configuration: defaults, then the JSON file (--config), then flags.
 * Unknown JSON keys are errors: a typo must not silently fall back to a
 * default on a security-relevant setting. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/log.h"
#include "sdnsd.h"

#define DEFAULT_DOQ_LISTEN "0.0.0.0:853"
#define DEFAULT_API_LISTEN "127.0.0.1:8443"
#define DEFAULT_STUB_LISTEN "127.0.0.1:5353"

enum { KIND_STR, KIND_INT, KIND_ZONES, KIND_LEVEL, KIND_LIST, KIND_FLAG };

/* One table drives the flags, the JSON keys and the help text. */
static const struct opt {
	const char *flag;  /* --flag; JSON key = flag with '-' as '_' */
	int kind;
	size_t off;
	const char *arg, *help;
} opts[] = {
	{"doq-listen", KIND_STR, offsetof(sdnsd_conf, doq_listen), "ADDR:PORT",
	 "DoQ listen address (default " DEFAULT_DOQ_LISTEN ")"},
	{"dot-listen", KIND_STR, offsetof(sdnsd_conf, dot_listen), "ADDR:PORT",
	 "also serve DNS over TLS (RFC 7858) here, same certificates, limits "
	 "and answers as DoQ (default off)"},
	{"tls-cert", KIND_STR, offsetof(sdnsd_conf, tls_cert), "FILE",
	 "server certificate chain (PEM)"},
	{"tls-key", KIND_STR, offsetof(sdnsd_conf, tls_key), "FILE",
	 "server private key (PEM)"},
	{"tls-ca", KIND_STR, offsetof(sdnsd_conf, tls_ca), "FILE",
	 "mesh CA: clients must present a certificate it issued"},
	{"mesh", KIND_STR, offsetof(sdnsd_conf, mesh), "NAME",
	 "accept only identities spiffe://NAME/... (default: the mesh of "
	 "--tls-cert; '*': any mesh the CA signs)"},
	{"zone-file", KIND_ZONES, 0, "[ORIGIN=]FILE",
	 "serve this master file (repeatable)"},
	{"db", KIND_STR, offsetof(sdnsd_conf, db), "CONNINFO",
	 "PostgreSQL (libpq conninfo, default $SDNS_DB): serve its zones and "
	 "run the API"},
	{"migrate", KIND_FLAG, offsetof(sdnsd_conf, migrate), "",
	 "apply the migrations to --db (the owner role) and exit; see "
	 "--db-runtime-role"},
	{"check-config", KIND_FLAG, offsetof(sdnsd_conf, check_config), "",
	 "check the configuration and every file it names (certificates, keys, "
	 "CA chain, zone files, migrations; the database with --db), print "
	 "each problem and exit 1, or a summary and exit 0"},
	{"db-runtime-role", KIND_STR, offsetof(sdnsd_conf, db_runtime_role),
	 "ROLE", "with --migrate: grant this role what sdnsd needs"},
	{"db-allow-owner", KIND_FLAG, offsetof(sdnsd_conf, db_allow_owner), "",
	 "run although the --db role owns the tables (it could rewrite the "
	 "audit); then migrate at start"},
	{"api-listen", KIND_STR, offsetof(sdnsd_conf, api_listen), "ADDR:PORT",
	 "management API, with --db (default 127.0.0.1:8443)"},
	{"ca-key", KIND_STR, offsetof(sdnsd_conf, ca_key), "FILE",
	 "mesh CA key: lets POST /enroll issue certificates"},
	{"audit-key", KIND_STR, offsetof(sdnsd_conf, audit_key), "FILE",
	 "Ed25519 seed (or PEM key) that signs audit entries (default: "
	 "STATE-DIR/audit.key, made on first start)"},
	{"audit-trust", KIND_STR, offsetof(sdnsd_conf, audit_trust), "FILE",
	 "more trusted audit public keys, \"NAME KEY\" per line (the other "
	 "sdnsd of this database, peers' keys by node name)"},
	{"state-dir", KIND_STR, offsetof(sdnsd_conf, state_dir), "DIR",
	 "this node's state outside the database: audit key, peers' audit "
	 "heads (default: the directory of --tls-key)"},
	{"audit-head-interval", KIND_INT, offsetof(sdnsd_conf,
	 audit_head_interval), "SECONDS", "how often the own audit head is "
	 "signed and the peers' heads are fetched (default 10; 0 = never)"},
	{"zone-key", KIND_STR, offsetof(sdnsd_conf, zone_key), "FILE",
	 "Ed25519 seed (sdnsctl enroll's zone.key): DNSSEC-sign every zone"},
	{"sig-validity", KIND_INT, offsetof(sdnsd_conf, sig_validity), "SECONDS",
	 "RRSIG validity with --zone-key (default 1209600 = 14 days)"},
	{"changelog-keep", KIND_INT, offsetof(sdnsd_conf, changelog_keep), "N",
	 "change log rows kept behind the newest (default 1000000; 0 = no bound)"},
	{"changelog-max-age", KIND_INT, offsetof(sdnsd_conf, changelog_max_age),
	 "SECONDS", "change log rows older than this go (default 604800 = 7 "
	 "days; 0 = no bound)"},
	{"sync-threads", KIND_INT, offsetof(sdnsd_conf, sync_threads), "N",
	 "threads that build and sign zones at a full load (default: cores)"},
	{"public-url", KIND_STR, offsetof(sdnsd_conf, public_url), "URL",
	 "how clients reach the API, for enrollment commands"},
	{"migrations", KIND_STR, offsetof(sdnsd_conf, migrations), "DIR",
	 "SQL migrations (default: ../migrations beside the binary, else "
	 "DATADIR/migrations)"},
	{"web-root", KIND_STR, offsetof(sdnsd_conf, web_root), "DIR",
	 "console files served by the API (default: ../web beside the binary, "
	 "else DATADIR/web)"},
	{"events-max", KIND_INT, offsetof(sdnsd_conf, events_max), "N",
	 "GET /events subscribers at once (default 32)"},
	{"events-max-per-identity", KIND_INT,
	 offsetof(sdnsd_conf, events_max_per_id), "N",
	 "GET /events streams one identity may hold (default events-max/4)"},
	{"api-threads", KIND_INT, offsetof(sdnsd_conf, api_threads), "N",
	 "API handler threads (default 4)"},
	{"api-max-conns", KIND_INT, offsetof(sdnsd_conf, api_max_conns), "N",
	 "API connections overall (default 256)"},
	{"api-max-conns-per-addr", KIND_INT,
	 offsetof(sdnsd_conf, api_max_conns_per_addr), "N",
	 "API connections per client address (default 32)"},
	{"api-handshake-timeout", KIND_INT,
	 offsetof(sdnsd_conf, api_handshake_timeout), "SECONDS",
	 "API connection closed unless a request authenticates by then "
	 "(default 5)"},
	{"api-idle-timeout", KIND_INT, offsetof(sdnsd_conf, api_idle_timeout),
	 "SECONDS", "authenticated API connection idle timeout (default 30)"},
	{"api-refusals-audit-per-addr", KIND_INT,
	 offsetof(sdnsd_conf, api_refusals_per_addr), "N",
	 "refused API logins audited per address and minute (default 10)"},
	{"api-refusals-audit-max", KIND_INT,
	 offsetof(sdnsd_conf, api_refusals_max), "N",
	 "refused API logins audited per minute overall (default 100)"},
	{"import-max", KIND_INT, offsetof(sdnsd_conf, import_max), "BYTES",
	 "largest master file POST /zones/Z/import takes (default 256 MiB)"},
	{"workers", KIND_INT, offsetof(sdnsd_conf, workers), "N",
	 "worker threads (default: number of cores)"},
	{"log-level", KIND_LEVEL, 0, "LEVEL", "error, warn, info (default), debug"},
	{"max-conns", KIND_INT, offsetof(sdnsd_conf, max_conns), "N",
	 "connections overall (default 10000)"},
	{"max-conns-per-addr", KIND_INT, offsetof(sdnsd_conf, max_conns_per_addr),
	 "N", "connections per client address (default 64)"},
	{"max-streams", KIND_INT, offsetof(sdnsd_conf, max_streams), "N",
	 "concurrent streams per connection (default 256)"},
	{"max-conn-buffer", KIND_INT, offsetof(sdnsd_conf, max_conn_buffer),
	 "BYTES", "buffered bytes per connection (default 1 MiB)"},
	{"max-total-buffer", KIND_INT, offsetof(sdnsd_conf, max_total_buffer),
	 "BYTES", "buffered bytes, all connections (default 256 MiB)"},
	{"stream-timeout-ms", KIND_INT, offsetof(sdnsd_conf, stream_timeout_ms),
	 "MS", "deadline for an unfinished query (default 5000)"},
	{"idle-timeout-ms", KIND_INT, offsetof(sdnsd_conf, idle_timeout_ms), "MS",
	 "idle connection timeout (default 30000)"},
	{"retry-threshold", KIND_INT, offsetof(sdnsd_conf, retry_threshold), "N",
	 "open connections from which new clients must pass Retry (0 = always; "
	 "default max-conns/2)"},
	{"stub-listen", KIND_STR, offsetof(sdnsd_conf, stub_listen), "ADDR:PORT",
	 "plain DNS stub, UDP and TCP (default " DEFAULT_STUB_LISTEN " when any "
	 "stub or resolver option is given)"},
	{"address", KIND_STR, offsetof(sdnsd_conf, address), "IP",
	 "stub address, short form (with --port)"},
	{"port", KIND_INT, offsetof(sdnsd_conf, port), "N", "stub port, short form"},
	{"resolver-addr", KIND_LIST, offsetof(sdnsd_conf, resolver_addrs),
	 "IP:PORT", "DNS-over-TLS upstream (repeatable; failover in order)"},
	{"resolver-fqdn", KIND_STR, offsetof(sdnsd_conf, resolver_fqdn), "NAME",
	 "name the upstream certificate must carry"},
	{"resolver-pin", KIND_LIST, offsetof(sdnsd_conf, resolver_pins), "BASE64",
	 "SHA-256 SPKI pin of the upstream (repeatable: any matches)"},
	{"resolver-ca", KIND_STR, offsetof(sdnsd_conf, resolver_ca), "FILE",
	 "trust anchors for the upstream (default: system store)"},
	{"timeout", KIND_INT, offsetof(sdnsd_conf, timeout), "SECONDS",
	 "forwarded query deadline (default 3)"},
	{"stub-workers", KIND_INT, offsetof(sdnsd_conf, stub_workers), "N",
	 "stub worker threads (default: number of cores)"},
	{"stub-tcp-idle-ms", KIND_INT, offsetof(sdnsd_conf, stub_tcp_idle_ms),
	 "MS", "stub TCP idle timeout (default 10000)"},
	{"stub-max-tcp-conns", KIND_INT, offsetof(sdnsd_conf, stub_max_tcp_conns),
	 "N", "stub TCP connections (default 1024)"},
	{"cache-max-entries", KIND_INT, offsetof(sdnsd_conf, cache_max_entries),
	 "N", "answer cache entries (default 100000)"},
	{"cache-min-ttl", KIND_INT, offsetof(sdnsd_conf, cache_min_ttl), "S",
	 "cached TTLs raised to at least this (default 0)"},
	{"cache-max-ttl", KIND_INT, offsetof(sdnsd_conf, cache_max_ttl), "S",
	 "cached TTLs capped at this (default 86400)"},
	{"rate-limit", KIND_INT, offsetof(sdnsd_conf, rate_limit), "QPS",
	 "stub queries per second per client (default 0 = off)"},
	{"rate-burst", KIND_INT, offsetof(sdnsd_conf, rate_burst), "N",
	 "stub rate-limit burst (default 2 x rate)"},
	{"rate-slip", KIND_INT, offsetof(sdnsd_conf, rate_slip), "N",
	 "every Nth limited UDP query answered TC=1 (default 2; 0 = never)"},
	{"mesh-timeout", KIND_INT, offsetof(sdnsd_conf, mesh_timeout), "MS",
	 "mesh name resolution deadline over DoQ peers (default 1500)"},
	{"no-mesh", KIND_FLAG, offsetof(sdnsd_conf, no_mesh), "",
	 "do not resolve peers' names (JSON: true)"},
	{"mesh-state", KIND_STR, offsetof(sdnsd_conf, mesh_state), "FILE",
	 "newest signed serial seen per peer zone, kept across restarts "
	 "(default: mesh-state beside --tls-key; none = not kept)"},
	{"mesh-sig-validity", KIND_INT, offsetof(sdnsd_conf, mesh_sig_validity),
	 "SECONDS", "RRSIG validity of mesh zones with --zone-key (default "
	 "21600 = 6 hours)"},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void sdnsd_usage(FILE *f)
{
	fputs("usage: sdnsd [--config FILE] [OPTIONS]\n\n"
	      "secure_dns daemon: authoritative DNS over QUIC with mutual TLS; with\n"
	      "--db, PostgreSQL-backed zones and the management API; with --stub-listen\n"
	      "or --resolver-addr, a plain-DNS loopback stub forwarding other names to\n"
	      "a pinned DNS-over-TLS upstream.\n\n"
	      "  --config FILE                  JSON file with the same keys as the\n"
	      "                                 options (doq_listen, zone_files, ...);\n"
	      "                                 flags win\n", f);
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s %s", opts[i].flag, opts[i].arg);
		fprintf(f, "  %-30s %s\n", left, opts[i].help);
	}
	fputs("  --help                         this text\n", f);
	fprintf(f, "\nDATADIR (the installed migrations and console): %s\n",
	        sdnsd_datadir());
}

static int set_int(sdnsd_conf *c, const struct opt *o, long long v)
{
	if (v < 0) {
		fprintf(stderr, "sdnsd: --%s must not be negative\n", o->flag);
		return 2;
	}
	/* The API's limits are unsigned ints: no silent wrap. */
	if (strncmp(o->flag, "api-", 4) == 0 && v > 1000000) {
		fprintf(stderr, "sdnsd: --%s must be at most 1000000\n", o->flag);
		return 2;
	}
	if (o->off == offsetof(sdnsd_conf, workers)) {
		if (v > 256) {
			fprintf(stderr, "sdnsd: --workers must be at most 256\n");
			return 2;
		}
		c->workers = (int)v;
	} else {
		*(long long *)((char *)c + o->off) = v;
		if (o->off == offsetof(sdnsd_conf, retry_threshold))
			c->retry_threshold_set = 1;
		if (o->off == offsetof(sdnsd_conf, rate_slip))
			c->rate_slip_set = 1;
	}
	return 0;
}

static int set_value(sdnsd_conf *c, const struct opt *o, const char *v)
{
	switch (o->kind) {
	case KIND_STR: {
		char **slot = (char **)((char *)c + o->off);
		free(*slot);
		*slot = strdup(v);
		return 0;
	}
	case KIND_ZONES:
		if (c->n_zone_files == SDNSD_MAX_ZONES) {
			fprintf(stderr, "sdnsd: more than %d zone files\n", SDNSD_MAX_ZONES);
			return 2;
		}
		c->zone_files[c->n_zone_files++] = strdup(v);
		return 0;
	case KIND_LIST: {
		sdnsd_strlist *l = (sdnsd_strlist *)((char *)c + o->off);
		if (l->n == SDNSD_MAX_LIST) {
			fprintf(stderr, "sdnsd: more than %d --%s\n", SDNSD_MAX_LIST,
			        o->flag);
			return 2;
		}
		l->v[l->n++] = strdup(v);
		return 0;
	}
	case KIND_FLAG:
		*(long long *)((char *)c + o->off) = 1;
		return 0;
	case KIND_LEVEL:
		c->log_level = sdns_log_level_from_str(v);
		if (c->log_level < 0) {
			fprintf(stderr, "sdnsd: unknown log level '%s'\n", v);
			return 2;
		}
		return 0;
	default: {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || end == v || *end) {
			fprintf(stderr, "sdnsd: --%s wants a number, not '%s'\n", o->flag, v);
			return 2;
		}
		return set_int(c, o, n);
	}
	}
}

static const struct opt *find_json_key(const char *key)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const char *f = opts[i].flag, *k = key;
		while (*f && (*f == *k || (*f == '-' && *k == '_')))
			f++, k++;
		if (!*f && !*k)
			return &opts[i];
	}
	return NULL;
}

static int apply_json_value(sdnsd_conf *c, const struct opt *o, json_t *v,
                            const char *key)
{
	if ((o->kind == KIND_ZONES || o->kind == KIND_LIST) && json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				fprintf(stderr, "sdnsd: config: %s[%zu] must be a string\n", key, i);
				return 2;
			}
			if (set_value(c, o, json_string_value(e)))
				return 2;
		}
		return 0;
	}
	if (o->kind == KIND_FLAG) {
		if (!json_is_boolean(v)) {
			fprintf(stderr, "sdnsd: config: %s must be true or false\n", key);
			return 2;
		}
		*(long long *)((char *)c + o->off) = json_is_true(v);
		return 0;
	}
	if (o->kind == KIND_INT) {
		if (!json_is_integer(v)) {
			fprintf(stderr, "sdnsd: config: %s must be an integer\n", key);
			return 2;
		}
		return set_int(c, o, json_integer_value(v));
	}
	if (!json_is_string(v)) {
		fprintf(stderr, "sdnsd: config: %s must be a string\n", key);
		return 2;
	}
	return set_value(c, o, json_string_value(v));
}

static int load_json(sdnsd_conf *c, const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "sdnsd: config %s:%d: %s\n", path, jerr.line, jerr.text);
		return 2;
	}
	int rc = 0;
	if (!json_is_object(root)) {
		fprintf(stderr, "sdnsd: config %s: top level must be an object\n", path);
		rc = 2;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (rc)
			break;
		/* "zone_files" (a list) reads better in JSON than "zone_file". */
		const struct opt *o =
			find_json_key(strcmp(key, "zone_files") ? key : "zone_file");
		if (!o) {
			fprintf(stderr, "sdnsd: config %s: unknown key '%s'\n", path, key);
			rc = 2;
			break;
		}
		rc = apply_json_value(c, o, v, key);
	}
	json_decref(root);
	return rc;
}

static void list_clear(sdnsd_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* A list flag given on the command line replaces the config file's list. */
static void clear_lists_given(sdnsd_conf *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		for (size_t k = 0; k < NOPTS; k++) {
			size_t fl = strlen(opts[k].flag);
			if (opts[k].kind == KIND_LIST && !strncmp(argv[i], "--", 2) &&
			    !strncmp(argv[i] + 2, opts[k].flag, fl) &&
			    (argv[i][2 + fl] == 0 || argv[i][2 + fl] == '='))
				list_clear((sdnsd_strlist *)((char *)c + opts[k].off));
		}
}

static int parse_flags(sdnsd_conf *c, int argc, char **argv)
{
	clear_lists_given(c, argc, argv);
	/* Table options return OPT_BASE + index: a bare index would collide
	 * with getopt's '?' (63) and with 'c' and 'h' once the table is long. */
	enum { OPT_BASE = 256 };
	struct option lo[NOPTS + 3];
	for (size_t i = 0; i < NOPTS; i++)
		lo[i] = (struct option){opts[i].flag, opts[i].kind == KIND_FLAG
		                        ? no_argument : required_argument, NULL,
		                        OPT_BASE + (int)i};
	lo[NOPTS] = (struct option){"config", required_argument, NULL, 'c'};
	lo[NOPTS + 1] = (struct option){"help", no_argument, NULL, 'h'};
	lo[NOPTS + 2] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'h') {
			sdnsd_usage(stdout);
			return 1;
		}
		if (ch == 'c')
			continue;
		if (ch < OPT_BASE || (size_t)(ch - OPT_BASE) >= NOPTS) {
			sdnsd_usage(stderr);
			return 2;
		}
		int rc = set_value(c, &opts[ch - OPT_BASE], optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "sdnsd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* --config must be read before the flags so that flags win. */
static const char *find_config_flag(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static int check_required(const sdnsd_conf *c)
{
	if (c->migrate) {
		if (!c->db) {
			fprintf(stderr, "sdnsd: --migrate needs --db (the owner role's "
			        "conninfo)\n");
			return 2;
		}
		return 0;
	}
	if (c->db_runtime_role) {
		fprintf(stderr, "sdnsd: --db-runtime-role goes with --migrate\n");
		return 2;
	}
	const char *missing = !c->tls_cert ? "--tls-cert"
	                      : !c->tls_key ? "--tls-key"
	                      : !c->tls_ca  ? "--tls-ca"
	                      : (!c->db && c->n_zone_files == 0)
	                          ? "--zone-file (or --db)" : NULL;
	if (missing) {
		fprintf(stderr, "sdnsd: %s is required (see sdnsd --help)\n", missing);
		return 2;
	}
	/* Two sources of truth would disagree silently: refuse the mix. */
	if (c->db && c->n_zone_files) {
		fprintf(stderr, "sdnsd: --zone-file and --db exclude each other: with "
		        "--db the zones live in PostgreSQL (sdnsctl zone import)\n");
		return 2;
	}
	if (!c->db && (c->api_listen || c->ca_key)) {
		fprintf(stderr, "sdnsd: --api-listen and --ca-key need --db\n");
		return 2;
	}
	return 0;
}

int sdnsd_conf_load(sdnsd_conf *c, int argc, char **argv)
{
	memset(c, 0, sizeof(*c));
	c->log_level = SDNS_LOG_INFO;
	c->changelog_keep = c->changelog_max_age = -1;   /* not given */
	c->audit_head_interval = -1;
	c->config_path = find_config_flag(argc, argv);
	int rc = c->config_path ? load_json(c, c->config_path) : 0;
	if (!rc)
		rc = parse_flags(c, argc, argv);
	if (!rc && !c->doq_listen)
		c->doq_listen = strdup(DEFAULT_DOQ_LISTEN);
	const char *env_db = getenv("SDNS_DB");
	if (!rc && !c->db && env_db && *env_db && c->n_zone_files == 0)
		c->db = strdup(env_db);
	if (!rc && c->db && !c->api_listen)
		c->api_listen = strdup(DEFAULT_API_LISTEN);
	if (!rc)
		rc = check_required(c);
	if (!rc && sdnsd_stub_wanted(c) && !c->stub_listen) {
		char buf[96];
		if (c->address || c->port)
			snprintf(buf, sizeof(buf), strchr(c->address ? c->address : "", ':')
			         ? "[%s]:%lld" : "%s:%lld",
			         c->address ? c->address : "127.0.0.1",
			         c->port ? c->port : 5353);
		c->stub_listen = strdup(c->address || c->port ? buf
		                                              : DEFAULT_STUB_LISTEN);
	}
	if (!rc && c->port > 65535) {
		fprintf(stderr, "sdnsd: --port must be at most 65535\n");
		rc = 2;
	}
	c->argc = argc;
	c->argv = argv;
	return rc;
}

void sdnsd_conf_free(sdnsd_conf *c)
{
	free(c->doq_listen);
	free(c->dot_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->mesh);
	free(c->db);
	free(c->api_listen);
	free(c->ca_key);
	free(c->audit_key);
	free(c->mesh_state);
	free(c->audit_trust);
	free(c->state_dir);
	free(c->zone_key);
	free(c->public_url);
	free(c->migrations);
	free(c->db_runtime_role);
	free(c->web_root);
	for (size_t i = 0; i < c->n_zone_files; i++)
		free(c->zone_files[i]);
	free(c->stub_listen);
	free(c->address);
	free(c->resolver_fqdn);
	free(c->resolver_ca);
	list_clear(&c->resolver_addrs);
	list_clear(&c->resolver_pins);
	memset(c, 0, sizeof(*c));
}
