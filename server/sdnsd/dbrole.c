/* The database roles as sdnsd sees them (README "Database roles"):
 * `sdnsd --migrate` applies the migrations as the owner role and grants the
 * runtime role; a serving sdnsd checks at connect that its role owns
 * nothing, so the audit's append-only triggers hold against it, and refuses
 * to run otherwise unless --db-allow-owner (then it migrates itself, the
 * single-role behaviour of earlier versions). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/store.h"
#include "sdnsd.h"

void sdnsd_migrations_dir(const sdnsd_conf *c, char *out, size_t cap)
{
	if (c->migrations) {
		snprintf(out, cap, "%s", c->migrations);
		return;
	}
	sdnsd_data_path("migrations", out, cap);
}

int sdnsd_migrate_main(const sdnsd_conf *c)
{
	char dir[PATH_MAX];
	sdnsd_migrations_dir(c, dir, sizeof(dir));
	sdns_store *db = NULL;
	sdns_store_err err = {0};
	int applied = 0;
	int rc = sdns_store_connect(c->db, &db, &err);
	if (rc == SDNS_OK)
		rc = sdns_store_migrate(db, dir, &applied, &err);
	if (rc == SDNS_OK && c->db_runtime_role)
		rc = sdns_store_grant_runtime(db, c->db_runtime_role, &err);
	sdns_store_close(db);
	if (rc < 0) {
		sdns_log(SDNS_LOG_ERROR, "migrate_failed", "error=\"%s\"",
		         err.message[0] ? err.message : sdns_strerror(rc));
		return rc;
	}
	sdns_log(SDNS_LOG_INFO, "migrated", "migrations_applied=%d dir=%s "
	         "runtime_role=%s", applied, dir,
	         c->db_runtime_role ? c->db_runtime_role : "-");
	return SDNS_OK;
}

/* SDNS_EUNAVAIL is worth a retry; anything else goes into msg and stops
 * the daemon. */
static int refuse(int rc, const sdns_store_err *err, const char *hint,
                  char *msg, size_t cap)
{
	if (rc != SDNS_EUNAVAIL)
		snprintf(msg, cap, "%s%s", err->message[0] ? err->message
		                                           : sdns_strerror(rc), hint);
	return rc;
}

/* dry (--check-config): what the start would find, changing nothing; an
 * older schema with --db-allow-owner passes (the start migrates it). */
static int prepare(const sdnsd_conf *c, sdns_store *db, const char *dir,
                   bool dry, char *msg, size_t cap)
{
	sdns_store_err err = {0};
	int have = 0, want = 0;
	int rc = sdns_store_schema_check(db, dir, &have, &want, &err);
	if (rc == SDNS_ECONFIG && have < want && c->db_allow_owner && dry) {
		rc = SDNS_OK;
	} else if (rc == SDNS_ECONFIG && have < want && c->db_allow_owner) {
		int applied = 0;
		err = (sdns_store_err){0};
		rc = sdns_store_migrate(db, dir, &applied, &err);
		if (rc == SDNS_OK)
			sdns_log(SDNS_LOG_INFO, "db_migrated", "migrations_applied=%d "
			         "dir=%s", applied, dir);
	}
	if (rc < 0)
		return refuse(rc, &err, c->db_allow_owner || have >= want ? "" :
		              "; apply them as the owner role: sdnsd --migrate --db "
		              "OWNER-CONNINFO --db-runtime-role ROLE", msg, cap);
	err = (sdns_store_err){0};
	rc = sdns_store_check_runtime(db, &err);
	if (rc == SDNS_EDENIED && c->db_allow_owner) {
		sdns_log(SDNS_LOG_WARN, "db_role_owner", "allowed=--db-allow-owner "
		         "error=\"%s\"", err.message);
		rc = SDNS_OK;
	}
	if (rc < 0)
		return refuse(rc, &err, rc != SDNS_EDENIED ? "" :
		              "; run sdnsd as a role that owns nothing (README "
		              "'Database roles') or give --db-allow-owner", msg, cap);
	if (!dry)
		sdns_log(SDNS_LOG_INFO, "db_ready", "dir=%s owner_allowed=%s", dir,
		         c->db_allow_owner ? "yes" : "no");
	return SDNS_OK;
}

int sdnsd_db_prepare(const sdnsd_conf *c, sdns_store *db, const char *dir,
                     char *msg, size_t cap)
{
	return prepare(c, db, dir, false, msg, cap);
}

int sdnsd_db_check(const sdnsd_conf *c, sdns_store *db, const char *dir,
                   char *msg, size_t cap)
{
	int rc = prepare(c, db, dir, true, msg, cap);
	if (rc == SDNS_EUNAVAIL && !msg[0])
		snprintf(msg, cap, "database unavailable");
	return rc;
}
