-- Hand the database and every table, sequence and function of its schema
-- to the owner role: the upgrade of a database that one role (sdnsd's own,
-- or a superuser) used to own (README "Database roles"). Run as a
-- superuser, or as the old owner when it is a member of the new one:
--   psql "dbname=sdns" -v owner=sdns_owner -f deploy/adopt-owner.sql
-- Safe to run again. The runtime role then gets its privileges from
-- sdnsd --migrate --db-runtime-role ROLE, run as the new owner.
\set ON_ERROR_STOP on
SELECT set_config('sdns.new_owner', :'owner', false) AS owner;
DO $$
DECLARE
	o name := current_setting('sdns.new_owner');
	ns regnamespace := current_schema()::regnamespace;
	q text;
BEGIN
	EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), o);
	FOR q IN
		-- a table's own sequences (bigserial) follow the table
		SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, o)
		FROM pg_class c WHERE c.relnamespace = ns AND c.relkind IN ('r', 'p')
		UNION ALL
		SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, o)
		FROM pg_class c WHERE c.relnamespace = ns AND c.relkind = 'S'
		AND NOT EXISTS (SELECT 1 FROM pg_depend d
		                WHERE d.classid = 'pg_class'::regclass
		                AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
		UNION ALL
		SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, o)
		FROM pg_proc p WHERE p.pronamespace = ns
	LOOP
		EXECUTE q;
	END LOOP;
END $$;
