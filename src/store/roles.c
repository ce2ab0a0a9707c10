/* The two database roles (migrations/004_roles.sql): the owner applies the
 * migrations and grants; the runtime role, which sdnsd uses, owns nothing,
 * so the append-only triggers of audit hold against it. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "store_int.h"

int sdns_store_grant_runtime(sdns_store *s, const char *role,
                             sdns_store_err *err)
{
	if (!role || !*role)
		return st_err(err, SDNS_EINVAL, "role", "no runtime role given");
	const char *p[1] = { role };
	/* Concurrent GRANTs on the same objects fail with "tuple concurrently
	 * updated": several nodes' --migrate at once take turns under the
	 * migrations' lock, released at commit. */
	char lock[32];
	snprintf(lock, sizeof lock, "%lld", (long long)ST_MIGRATE_LOCK);
	const char *lp[1] = { lock };
	int rc = st_begin(s, err);
	if (rc == SDNS_OK)
		rc = st_q_once(s, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lp,
		               NULL, err);
	if (rc == SDNS_OK)
		rc = st_q_once(s, "SELECT sdns_grant_runtime($1)", 1, p, NULL, err);
	rc = st_finish(s, rc, err);
	if (rc != SDNS_EIO) return rc;
	/* The server's words (no such role, not the owner) stay; say what was
	 * being done. */
	char why[sizeof err->message] = "";
	if (err) snprintf(why, sizeof why, "%s", err->message);
	return st_err(err, SDNS_ECONFIG, "role", "granting to role %s: %.200s",
	              role, why);
}

/* Whatever the role is, or may become with SET ROLE, counts: a member of
 * the owner can ALTER the table as well as the owner. */
#define CHECK_SQL \
	"SELECT current_user, " \
	"(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), " \
	"pg_has_role(current_user, a.relowner, 'MEMBER'), " \
	"(SELECT count(*) FROM pg_class c WHERE c.relnamespace = a.relnamespace " \
	" AND c.relkind IN ('r', 'p', 'S', 'v', 'm') " \
	" AND pg_has_role(current_user, c.relowner, 'MEMBER')) + " \
	"(SELECT count(*) FROM pg_proc f WHERE f.pronamespace = a.relnamespace " \
	" AND pg_has_role(current_user, f.proowner, 'MEMBER')), " \
	"has_table_privilege(a.oid, 'UPDATE'), " \
	"has_table_privilege(a.oid, 'DELETE'), " \
	"has_table_privilege(a.oid, 'TRUNCATE'), " \
	"has_table_privilege(a.oid, 'TRIGGER') " \
	"FROM pg_class a WHERE a.oid = to_regclass('audit')"

static bool yes(PGresult *r, int c)
{
	return !PQgetisnull(r, 0, c) && PQgetvalue(r, 0, c)[0] == 't';
}

int sdns_store_check_runtime(sdns_store *s, sdns_store_err *err)
{
	PGresult *r;
	int rc = st_q_once(s, CHECK_SQL, 0, NULL, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ECONFIG, NULL,
		              "no audit table: the migrations were not applied");
	}
	const char *who = PQgetvalue(r, 0, 0);
	long long owned = st_i64(r, 0, 3);
	static const char *const priv[] = { "UPDATE", "DELETE", "TRUNCATE",
	                                    "TRIGGER" };
	char held[64] = "";
	for (int i = 0; i < 4; i++)
		if (yes(r, 4 + i))
			snprintf(held + strlen(held), sizeof held - strlen(held), "%s%s",
			         held[0] ? ", " : "", priv[i]);
	if (yes(r, 1))
		rc = st_err(err, SDNS_EDENIED, NULL, "database role %s is a superuser: "
		            "it could disable the audit triggers and rewrite the "
		            "audit", who);
	else if (yes(r, 2) || owned > 0)
		rc = st_err(err, SDNS_EDENIED, NULL, "database role %s owns %s%lld "
		            "objects of the schema (or may SET ROLE to their owner): "
		            "it could disable the audit triggers and rewrite the audit",
		            who, yes(r, 2) ? "the audit table among " : "", owned);
	else if (held[0])
		rc = st_err(err, SDNS_EDENIED, NULL, "database role %s holds %s on "
		            "audit: it could rewrite the audit", who, held);
	PQclear(r);
	return rc;
}
