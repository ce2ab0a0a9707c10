/* sdnsd --check-config: the configuration (already parsed by
 * sdnsd_conf_load: bad JSON, unknown keys and missing options stop there)
 * and every file it names, loaded by the code the start uses, so that what
 * passes here starts: certificate, key and CA as the DoQ server loads them
 * (and the chain, which peers check), the CA key, the zone and audit keys,
 * the trust file, the zone files, the migrations, and with --db the
 * database as the sync thread checks it, without migrating anything.
 * Every fault is printed, one line each ("sdnsd: check: WHAT: WHY"), then
 * the exit status is 1; all good: a short summary and 0. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "sdns/dnssec.h"
#include "sdns/doq.h"
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/pki.h"
#include "sdns/store.h"
#include "sdns/zload.h"
#include "sdnsd.h"

typedef struct {
	int faults;
	char summary[2048];
} check;

static void fault(check *k, const char *what, const char *fmt, ...)
{
	char why[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	for (char *p = why; *p; p++)   /* libpq's hints: one line per fault */
		if (*p == '\n' || *p == '\t') *p = ' ';
	fprintf(stderr, "sdnsd: check: %s: %s\n", what, why);
	k->faults++;
}

static void good(check *k, const char *fmt, ...)
{
	size_t n = strlen(k->summary);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->summary + n, sizeof k->summary - n, fmt, ap);
	va_end(ap);
	n = strlen(k->summary);
	if (n + 1 < sizeof k->summary) {
		k->summary[n] = '\n';
		k->summary[n + 1] = '\0';
	}
}

/* A file the option names must be there and readable: said plainly before
 * a library's vaguer words. */
static bool readable(check *k, const char *opt, const char *path)
{
	FILE *f = fopen(path, "re");
	if (f) {
		fclose(f);
		return true;
	}
	char what[PATH_MAX + 40];
	snprintf(what, sizeof what, "%s %s", opt, path);
	fault(k, what, "cannot read: %s", strerror(errno));
	return false;
}

static void check_tls(const sdnsd_conf *c, check *k)
{
	bool ok = readable(k, "--tls-cert", c->tls_cert);
	ok = readable(k, "--tls-key", c->tls_key) && ok;
	ok = readable(k, "--tls-ca", c->tls_ca) && ok;
	if (!ok)
		return;
	char err[700] = "";
	if (sdns_doq_check_credentials(c->tls_cert, c->tls_key, c->tls_ca, err,
	                               sizeof err) != SDNS_OK) {
		fault(k, "--tls-cert", "%s", err);
		return;
	}
	sdns_identity id;
	if (sdnsd_own_identity(c->tls_cert, &id) == SDNS_OK)
		good(k, "  tls: %s (%s) matches %s, issued by %s", c->tls_cert,
		     id.uri, c->tls_key, c->tls_ca);
	else
		good(k, "  tls: %s (no spiffe:// identity) matches %s, issued by "
		     "%s", c->tls_cert, c->tls_key, c->tls_ca);
}

static void check_keys(const sdnsd_conf *c, check *k)
{
	char err[600] = "";
	if (c->ca_key && readable(k, "--ca-key", c->ca_key)) {
		if (sdns_pki_check_ca_key(c->tls_ca, c->ca_key, err, sizeof err))
			fault(k, "--ca-key", "%s", err);
		else
			good(k, "  ca key: %s (enrollment on)", c->ca_key);
	}
	if (c->zone_key && readable(k, "--zone-key", c->zone_key)) {
		sdns_dnssec_key zk;
		int rc = sdns_dnssec_key_load(c->zone_key, &zk);
		if (rc < 0)
			fault(k, "--zone-key", "%s: %s", c->zone_key, sdns_strerror(rc));
		else
			good(k, "  zone key: %s (key tag %u)", c->zone_key,
			     (unsigned)zk.tag);
		sodium_memzero(&zk, sizeof zk);
	}
	if (c->resolver_ca)
		readable(k, "--resolver-ca", c->resolver_ca);
	if (!c->db)
		return;   /* the audit chain is store mode's */
	char what[PATH_MAX + 40] = "", why[600] = "";
	if (sdnsd_audit_check(c, what, sizeof what, why, sizeof why) < 0)
		fault(k, what, "%s", why);
	else
		good(k, "  %s%s%s", what, c->audit_trust ? ", --audit-trust " : "",
		     c->audit_trust ? c->audit_trust : "");
}

/* Each file on its own, so every bad one is named; then the set (two
 * files with the same apex). */
static void check_zones(const sdnsd_conf *c, check *k)
{
	if (!c->n_zone_files)
		return;
	int bad = 0;
	size_t records = 0;
	for (size_t i = 0; i < c->n_zone_files; i++) {
		sdns_zone *z = NULL;
		char err[600] = "";
		int rc = sdns_zload_spec(c->zone_files[i], &z, err, sizeof err);
		if (rc < 0) {
			char what[PATH_MAX + 40];
			snprintf(what, sizeof what, "--zone-file %s", c->zone_files[i]);
			fault(k, what, "%s", err[0] ? err : sdns_strerror(rc));
			bad++;
			continue;
		}
		records += sdns_zone_rr_count(z);
		sdns_zone_free(z);
	}
	if (bad)
		return;
	sdns_zoneset *zs = NULL;
	char err[600] = "";
	int rc = sdns_zload_set((const char *const *)c->zone_files,
	                        c->n_zone_files, &zs, err, sizeof err);
	if (rc < 0) {
		fault(k, "--zone-file", "%s", err[0] ? err : sdns_strerror(rc));
		return;
	}
	good(k, "  zones: %zu file%s, %zu zone%s, %zu records", c->n_zone_files,
	     c->n_zone_files == 1 ? "" : "s", sdns_zoneset_count(zs),
	     sdns_zoneset_count(zs) == 1 ? "" : "s", records);
	sdns_zoneset_unref(zs);
}

static bool check_migrations(const sdnsd_conf *c, check *k, char *dir,
                             size_t cap)
{
	sdnsd_migrations_dir(c, dir, cap);
	DIR *d = opendir(dir);
	if (!d) {
		char what[PATH_MAX + 40];
		snprintf(what, sizeof what, "--migrations %s", dir);
		fault(k, what, "cannot open: %s", strerror(errno));
		return false;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".sql")) n++;
	}
	closedir(d);
	if (!n) {
		char what[PATH_MAX + 40];
		snprintf(what, sizeof what, "--migrations %s", dir);
		fault(k, what, "no .sql files");
		return false;
	}
	good(k, "  migrations: %s (%d files)", dir, n);
	return true;
}

static void check_db(const sdnsd_conf *c, check *k, const char *dir)
{
	sdns_store *db = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_connect(c->db, &db, &err);
	if (rc < 0) {
		fault(k, "--db", "%s", err.message[0] ? err.message
		                                       : sdns_strerror(rc));
		return;
	}
	char msg[600] = "";
	if (!dir) {   /* reachable; the schema needs the migrations to compare */
		good(k, "  database: reachable (schema not checked)");
		sdns_store_close(db);
		return;
	}
	rc = sdnsd_db_check(c, db, dir, msg, sizeof msg);
	if (rc < 0)
		fault(k, "--db", "%s", msg);
	else
		good(k, "  database: reachable, schema current%s, role %s",
		     c->db_allow_owner ? " (or migrated at start)" : "",
		     c->db_allow_owner ? "allowed to own" : "owns nothing");
	sdns_store_close(db);
}

int sdnsd_check_main(const sdnsd_conf *c)
{
	check k = {0};
	char dir[PATH_MAX] = "";
	check_tls(c, &k);
	check_keys(c, &k);
	check_zones(c, &k);
	if (c->db)
		check_db(c, &k, check_migrations(c, &k, dir, sizeof dir) ? dir : NULL);
	if (k.faults) {
		fprintf(stderr, "sdnsd: check: %d problem%s%s%s\n", k.faults,
		        k.faults == 1 ? "" : "s", c->config_path ? " in " : "",
		        c->config_path ? c->config_path : "");
		return 1;
	}
	printf("sdnsd: configuration OK%s%s (%s mode)\n%s",
	       c->config_path ? ": " : "", c->config_path ? c->config_path : "",
	       c->db ? "store" : "static", k.summary);
	return 0;
}
