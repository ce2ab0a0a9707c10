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
-- --db-runtime-role ROLE calls sdns_grant_runtime after the migrations).
-- A later migration that adds a table, a sequence or a function the
-- runtime calls replaces sdns_grant_runtime with the new list: the grants
-- live next to the schema they are for.

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
CREATE FUNCTION sdns_grant_runtime(r name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF r IS NULL OR r = current_user THEN
		RAISE EXCEPTION 'the runtime role must be another role than the owner %',
			current_user USING ERRCODE = '42501';
	END IF;
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
	EXECUTE format('REVOKE ALL ON audit, changes, change_head, nodes, zones, '
	               'records, enroll_tokens, revoked, schema_migrations FROM %I', r);
	EXECUTE format('GRANT SELECT, INSERT ON audit, revoked TO %I', r);
	EXECUTE format('GRANT SELECT, INSERT, UPDATE ON nodes, enroll_tokens TO %I', r);
	EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON zones, records TO %I', r);
	EXECUTE format('GRANT SELECT, DELETE ON changes TO %I', r);
	EXECUTE format('GRANT SELECT ON change_head, schema_migrations TO %I', r);
	EXECUTE format('GRANT USAGE ON SEQUENCE audit_id_seq, revoked_id_seq, '
	               'nodes_id_seq, enroll_tokens_id_seq, zones_id_seq, '
	               'records_id_seq TO %I', r);
	EXECUTE format('GRANT EXECUTE ON FUNCTION sdns_change_zone(bigint) TO %I', r);
END $$;
REVOKE EXECUTE ON FUNCTION sdns_grant_runtime(name) FROM PUBLIC;
