-- secure_dns schema 4: two database roles (README "Database roles").
--
-- The role that applies the migrations owns every table, sequence,
-- function and trigger. sdnsd runs as another role, the runtime role, which
-- owns nothing: it cannot ALTER TABLE audit DISABLE TRIGGER, replace the
-- append-only trigger function, or UPDATE, DELETE or TRUNCATE the audit
-- table. sdnsd refuses to start as a role that owns the tables (or is a
-- member of the owner, or a superuser) unless --db-allow-owner is given.
--
-- The runtime role never writes the change log itself: the triggers that
-- append to `changes` and move `change_head` run with the owner's rights
-- (SECURITY DEFINER), so it only needs to write the tables the API writes.
-- Their search_path is pinned to this schema and pg_temp last, so a
-- temporary table of the caller cannot stand in for `changes`.
--
-- Grants go to a role named at migration time (sdnsd --migrate
-- --db-runtime-role ROLE calls sdns_grant_runtime after the migrations,
-- every time, so what later migrations add is granted too). What the
-- runtime may do is data, next to the schema: a later migration that adds
-- a table, a sequence or a function sdnsd uses adds its row to
-- sdns_runtime_grants (and marks SECURITY DEFINER any trigger function that
-- must write what the runtime cannot).

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['sdns_log_records()', 'sdns_log_row()',
	                         'sdns_change_zone(bigint)',
	                         'sdns_changes_pruned()'] LOOP
		EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER '
		               'SET search_path = %I, pg_temp', f, current_schema());
	END LOOP;
END $$;

-- Functions are executable by PUBLIC by default. The trigger functions
-- cannot be called directly anyway; sdns_change_zone (zone import) is the
-- one the runtime calls, and gets it back by name in sdns_grant_runtime.
REVOKE EXECUTE ON FUNCTION sdns_change_zone(bigint) FROM PUBLIC;

-- Only the privileges sdnsd uses (src/store, src/sync): no UPDATE, DELETE
-- or TRUNCATE on audit, no write on the change log but the pruning DELETE
-- (whose trigger moves change_head.pruned, so a reader still sees the gap).
-- UPDATE on nodes, zones and enroll_tokens also covers their FOR UPDATE and
-- FOR KEY SHARE row locks.
CREATE TABLE sdns_runtime_grants (
	obj   text PRIMARY KEY,
	kind  text NOT NULL CHECK (kind IN ('table', 'sequence', 'function')),
	privs text NOT NULL CHECK (privs ~ '^[A-Z]+(, [A-Z]+)*$')
);
INSERT INTO sdns_runtime_grants (obj, kind, privs) VALUES
	('audit', 'table', 'SELECT, INSERT'),
	('revoked', 'table', 'SELECT, INSERT'),
	('nodes', 'table', 'SELECT, INSERT, UPDATE'),
	('enroll_tokens', 'table', 'SELECT, INSERT, UPDATE'),
	('zones', 'table', 'SELECT, INSERT, UPDATE, DELETE'),
	('records', 'table', 'SELECT, INSERT, UPDATE, DELETE'),
	('changes', 'table', 'SELECT, DELETE'),
	('change_head', 'table', 'SELECT'),
	('schema_migrations', 'table', 'SELECT'),
	('audit_id_seq', 'sequence', 'USAGE'),
	('revoked_id_seq', 'sequence', 'USAGE'),
	('nodes_id_seq', 'sequence', 'USAGE'),
	('enroll_tokens_id_seq', 'sequence', 'USAGE'),
	('zones_id_seq', 'sequence', 'USAGE'),
	('records_id_seq', 'sequence', 'USAGE'),
	('sdns_change_zone(bigint)', 'function', 'EXECUTE');

-- Everything the runtime had is taken back first, so a row removed or
-- narrowed by a later migration takes effect at the next --migrate.
CREATE FUNCTION sdns_grant_runtime(r name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	g record;
BEGIN
	IF r IS NULL OR r = current_user THEN
		RAISE EXCEPTION 'the runtime role must be another role than the owner %',
			current_user USING ERRCODE = '42501';
	END IF;
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I',
	               current_schema(), r);
	EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I',
	               current_schema(), r);
	EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I',
	               current_schema(), r);
	FOR g IN SELECT obj, kind, privs FROM sdns_runtime_grants ORDER BY obj LOOP
		EXECUTE format('GRANT %s ON %s %s TO %I', g.privs, upper(g.kind),
		               g.obj, r);
	END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION sdns_grant_runtime(name) FROM PUBLIC;
