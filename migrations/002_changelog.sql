-- secure_dns schema 2: the change log.
--
-- Every committed change of zones, records, nodes, revoked and audit gets
-- a row in `changes` with a sequence number taken in the same transaction,
-- so a reader fetches only what changed (WHERE seq > $last) and knows
-- exactly what it has applied. The numbers are dense and in commit order:
-- they come from the one row of change_head, bumped while holding the
-- audit lock (which every writer takes anyway), so a transaction that
-- commits later always has higher numbers, and a rolled-back one leaves no
-- hole. A reader that finds a hole (rows pruned before it read them) knows
-- it has missed something and reloads everything.
--
-- Notifications stay small: one per transaction on channel sdns_changes,
-- {"seq": first seq of the transaction, "zone_id": its first zone}, never
-- one per row (each notifying commit takes a cluster-wide lock).
--
-- Bulk writes (zone import) set sdns.bulk = 'on' in their transaction: the
-- record triggers then do nothing per row, and the writer logs the whole
-- zone once with sdns_change_zone(zone_id) before it commits.

CREATE TABLE change_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq bigint NOT NULL CHECK (seq >= 0)
);
INSERT INTO change_head (one, seq) VALUES (true, 0);

CREATE TABLE changes (
	seq         bigint PRIMARY KEY,
	tbl         text NOT NULL,      -- records, zones, nodes, revoked, audit
	op          text NOT NULL,      -- INSERT, UPDATE, DELETE; RELOAD (zones)
	row_id      bigint,
	zone_id     bigint,             -- records and zones: the zone
	name        text,               -- records: the owner; zones: the zone name
	old_zone_id bigint,             -- records UPDATE that moved the record
	old_name    text,
	at          timestamptz NOT NULL DEFAULT now()
);
-- Pruning by age; the log is appended in time order, so BRIN is enough.
CREATE INDEX changes_at ON changes USING brin (at);

-- n sequence numbers for this transaction: returns the one before the
-- first. The advisory lock is the audit lock (25046655185 = 0x5d4e5a0d1),
-- held to commit: commit order = sequence order.
CREATE FUNCTION sdns_change_take(n bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	s bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(25046655185);
	UPDATE change_head SET seq = seq + n RETURNING seq - n INTO s;
	RETURN s;
END $$;

CREATE FUNCTION sdns_change_notify(first bigint, zid bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('sdns.notified', true) IS DISTINCT FROM 'on' THEN
		PERFORM pg_notify('sdns_changes',
			json_build_object('seq', first, 'zone_id', zid)::text);
		PERFORM set_config('sdns.notified', 'on', true);
	END IF;
END $$;

-- Records: one statement-level trigger per event (transition tables).
CREATE FUNCTION sdns_log_records() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	base bigint;
	zid bigint;
BEGIN
	IF current_setting('sdns.bulk', true) = 'on' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'DELETE' THEN
		-- Rows cascaded from a deleted zone: the zone's row says it all.
		SELECT count(*), min(o.zone_id) INTO n, zid FROM old_rows o
			WHERE EXISTS (SELECT 1 FROM zones z WHERE z.id = o.zone_id);
	ELSE
		SELECT count(*), min(zone_id) INTO n, zid FROM new_rows;
	END IF;
	IF n = 0 THEN
		RETURN NULL;
	END IF;
	base := sdns_change_take(n);
	IF TG_OP = 'INSERT' THEN
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
		SELECT base + row_number() OVER (ORDER BY r.id), 'records', 'INSERT',
		       r.id, r.zone_id, r.name
		FROM new_rows r;
	ELSIF TG_OP = 'UPDATE' THEN
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name,
		                     old_zone_id, old_name)
		SELECT base + row_number() OVER (ORDER BY r.id), 'records', 'UPDATE',
		       r.id, r.zone_id, r.name,
		       CASE WHEN o.zone_id <> r.zone_id OR o.name <> r.name
		            THEN o.zone_id END,
		       CASE WHEN o.zone_id <> r.zone_id OR o.name <> r.name
		            THEN o.name END
		FROM new_rows r JOIN old_rows o ON o.id = r.id;
	ELSE
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
		SELECT base + row_number() OVER (ORDER BY o.id), 'records', 'DELETE',
		       o.id, o.zone_id, o.name
		FROM old_rows o
		WHERE EXISTS (SELECT 1 FROM zones z WHERE z.id = o.zone_id);
	END IF;
	PERFORM sdns_change_notify(base + 1, zid);
	RETURN NULL;
END $$;

CREATE TRIGGER records_log_insert AFTER INSERT ON records
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION sdns_log_records();
CREATE TRIGGER records_log_update AFTER UPDATE ON records
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION sdns_log_records();
CREATE TRIGGER records_log_delete AFTER DELETE ON records
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION sdns_log_records();

-- Zones, nodes, revoked, audit: few rows per transaction, one each.
CREATE FUNCTION sdns_log_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	j json;
	rid bigint;
	zid bigint;
	nm text;
	base bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN j := row_to_json(OLD); ELSE j := row_to_json(NEW); END IF;
	rid := (j->>'id')::bigint;
	IF TG_TABLE_NAME = 'zones' THEN
		zid := rid;
		nm := j->>'name';
	END IF;
	base := sdns_change_take(1);
	INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
	VALUES (base + 1, TG_TABLE_NAME, TG_OP, rid, zid, nm);
	PERFORM sdns_change_notify(base + 1, zid);
	RETURN NULL;
END $$;

-- A bulk writer's one entry for a whole zone: readers reload the zone.
CREATE FUNCTION sdns_change_zone(zid bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	base bigint;
	nm text;
BEGIN
	SELECT name INTO nm FROM zones WHERE id = zid;
	base := sdns_change_take(1);
	INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
	VALUES (base + 1, 'zones', 'RELOAD', zid, zid, nm);
	PERFORM sdns_change_notify(base + 1, zid);
	RETURN base + 1;
END $$;

DROP TRIGGER zones_notify ON zones;
DROP TRIGGER records_notify ON records;
DROP TRIGGER nodes_notify ON nodes;
DROP TRIGGER revoked_notify ON revoked;
DROP TRIGGER audit_notify ON audit;
DROP FUNCTION sdns_notify();

CREATE TRIGGER zones_log AFTER INSERT OR UPDATE OR DELETE ON zones
	FOR EACH ROW EXECUTE FUNCTION sdns_log_row();
CREATE TRIGGER nodes_log AFTER INSERT OR UPDATE OR DELETE ON nodes
	FOR EACH ROW EXECUTE FUNCTION sdns_log_row();
CREATE TRIGGER revoked_log AFTER INSERT OR UPDATE OR DELETE ON revoked
	FOR EACH ROW EXECUTE FUNCTION sdns_log_row();
CREATE TRIGGER audit_log AFTER INSERT ON audit
	FOR EACH ROW EXECUTE FUNCTION sdns_log_row();

-- The CNAME rule per row would cost a query per imported record: a bulk
-- writer checks the whole zone once instead (one grouped query).
CREATE OR REPLACE FUNCTION records_cname_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('sdns.bulk', true) = 'on' THEN
		RETURN NEW;
	END IF;
	IF NEW.type = 5 THEN
		IF EXISTS (SELECT 1 FROM records r WHERE r.zone_id = NEW.zone_id
		           AND r.name = NEW.name AND r.id <> NEW.id
		           AND r.type NOT IN (46, 47)) THEN
			RAISE EXCEPTION 'name %: a CNAME cannot coexist with other records', NEW.name
				USING ERRCODE = 'SD409';
		END IF;
	ELSIF NEW.type NOT IN (46, 47) THEN
		IF EXISTS (SELECT 1 FROM records r WHERE r.zone_id = NEW.zone_id
		           AND r.name = NEW.name AND r.id <> NEW.id AND r.type = 5) THEN
			RAISE EXCEPTION 'name %: a CNAME already exists at this name', NEW.name
				USING ERRCODE = 'SD409';
		END IF;
	END IF;
	RETURN NEW;
END $$;

-- The unique key (zone_id, name, type, rdata) already serves lookups by
-- (zone_id, name): a second index only slowed every write.
DROP INDEX records_zone_name;
