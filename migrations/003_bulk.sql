-- secure_dns schema 3: no work per row for bulk writes.
--
-- A zone import writes its records with one COPY (src/store/import.c) in
-- bulk mode (sdns.bulk = 'on', migration 002). Two things still ran once
-- per row there, measured at 1M records on a 2-core machine with
-- PostgreSQL 15: the foreign key records.zone_id -> zones(id), one RI query
-- per inserted row (about 9 us each: more than half of the whole import),
-- and the BEFORE ROW CNAME trigger, which returns at once in bulk mode but
-- still costs the trigger call and a copy of each row (about 1.5 us). Both
-- become statement-level triggers over the transition table that the log
-- triggers capture anyway, and both skip bulk writes, whose writer holds
-- the zone row FOR UPDATE (it took zone_id from that row) and checks the
-- CNAME rule for the whole zone at once before it commits.
--
-- The foreign key's two jobs, kept:
--  * a record names an existing zone: checked for the new rows of each
--    statement, the zones locked FOR KEY SHARE as the RI check did, so a
--    concurrent DELETE of the zone waits for this transaction;
--  * ON DELETE CASCADE: a row trigger on zones. Its DELETE runs after the
--    zone row is gone, so the records log trigger logs nothing for the
--    cascaded rows, as before (the zone's own row says it all).
-- zones.id never changes (bigserial, nothing updates it). The check
-- triggers are named records_check_* so that they fire before
-- records_log_* (AFTER triggers of one event fire in name order): a refused
-- statement has not taken the audit lock.

ALTER TABLE records DROP CONSTRAINT records_zone_id_fkey;

CREATE FUNCTION records_zone_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	zid bigint;
BEGIN
	IF current_setting('sdns.bulk', true) = 'on' THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM zones z WHERE z.id IN (SELECT n.zone_id FROM new_rows n)
		FOR KEY SHARE OF z;
	SELECT n.zone_id INTO zid FROM new_rows n
		WHERE NOT EXISTS (SELECT 1 FROM zones z WHERE z.id = n.zone_id)
		LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'insert or update on table "records" violates '
			'foreign key constraint "records_zone_id_fkey"'
			USING ERRCODE = '23503',
			      DETAIL = format('Key (zone_id)=(%s) is not present in table "zones".', zid);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER records_check_zone_insert AFTER INSERT ON records
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION records_zone_check();
CREATE TRIGGER records_check_zone_update AFTER UPDATE ON records
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION records_zone_check();

CREATE FUNCTION zones_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM records WHERE zone_id = OLD.id;
	RETURN NULL;
END $$;

CREATE TRIGGER zones_cascade AFTER DELETE ON zones
	FOR EACH ROW EXECUTE FUNCTION zones_cascade();

-- RFC 1034 3.6.2 once per statement: a new row clashes when its owner
-- holds a CNAME and any other type (RRSIG and NSEC excepted), or a second
-- CNAME. The rows are in the table already, so two new rows of the same
-- statement are checked against each other too. Concurrent writers of one
-- zone are serialised by the zone row lock, as before.
DROP TRIGGER records_cname ON records;
DROP FUNCTION records_cname_check();

CREATE FUNCTION records_cname_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	nm text;
	is_cname boolean;
BEGIN
	IF current_setting('sdns.bulk', true) = 'on' THEN
		RETURN NULL;
	END IF;
	SELECT n.name, n.type = 5 INTO nm, is_cname FROM new_rows n
		WHERE n.type NOT IN (46, 47) AND EXISTS (
			SELECT 1 FROM records r WHERE r.zone_id = n.zone_id
			AND r.name = n.name AND r.id <> n.id
			AND r.type NOT IN (46, 47) AND (n.type = 5 OR r.type = 5))
		ORDER BY n.id LIMIT 1;
	IF nm IS NULL THEN
		RETURN NULL;
	END IF;
	IF is_cname THEN
		RAISE EXCEPTION 'name %: a CNAME cannot coexist with other records', nm
			USING ERRCODE = 'SD409';
	END IF;
	RAISE EXCEPTION 'name %: a CNAME already exists at this name', nm
		USING ERRCODE = 'SD409';
END $$;

CREATE TRIGGER records_check_cname_insert AFTER INSERT ON records
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION records_cname_check();
CREATE TRIGGER records_check_cname_update AFTER UPDATE ON records
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION records_cname_check();
