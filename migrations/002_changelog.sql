-- secure_dns schema 2: the change log.
--
-- Every committed change of zones, records, nodes, revoked and audit gets
-- a row in `changes` with a sequence number taken in the same transaction,
-- so a reader fetches only what changed (WHERE seq > $last) and knows
-- exactly what it has applied. The numbers come in commit order: they are
-- taken while holding the audit lock (which every writer takes anyway, and
-- which is held to the commit), so a transaction that commits later always
-- has higher numbers, and a reader never sees a number before the smaller
-- ones of other transactions. A rolled-back transaction leaves a hole,
-- which means nothing. Pruning records the highest number it removed in
-- change_head.pruned: a reader whose place is below it has missed rows and
-- reloads everything.
--
-- Notifications stay small: one per transaction on channel sdns_changes,
-- {"seq": the newest number at its first change, "zone_id": that change's
-- zone}, never one per row (each notifying commit takes a cluster-wide
-- lock).
--
-- Bulk writes (zone import) set sdns.bulk = 'on' in their transaction: the
-- record triggers then do nothing per row, and the writer logs the whole
-- zone once with sdns_change_zone(zone_id) before it commits.

CREATE SEQUENCE changes_seq;

CREATE TABLE change_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	pruned bigint NOT NULL DEFAULT 0 CHECK (pruned >= 0)
);
INSERT INTO change_head (one) VALUES (true);

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

-- The audit lock (25046655185 = 0x5d4e5a0d1), held to commit: numbers
-- taken after it come in commit order. Taken again by the same
-- transaction it costs nothing.
CREATE FUNCTION sdns_change_lock() RETURNS void LANGUAGE sql AS $$
	SELECT pg_advisory_xact_lock(25046655185);
$$;

-- The transaction's one notification, at its first change.
CREATE FUNCTION sdns_change_notify(zid bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('sdns.notified', true) IS DISTINCT FROM 'on' THEN
		PERFORM pg_notify('sdns_changes', json_build_object(
			'seq', currval('changes_seq'), 'zone_id', zid)::text);
		PERFORM set_config('sdns.notified', 'on', true);
	END IF;
END $$;

-- Records: one statement-level trigger per event (transition tables).
CREATE FUNCTION sdns_log_records() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	IF current_setting('sdns.bulk', true) = 'on' THEN
		RETURN NULL;
	END IF;
	PERFORM sdns_change_lock();
	IF TG_OP = 'INSERT' THEN
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
		SELECT nextval('changes_seq'), 'records', 'INSERT', r.id, r.zone_id,
		       r.name
		FROM new_rows r;
	ELSIF TG_OP = 'UPDATE' THEN
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name,
		                     old_zone_id, old_name)
		SELECT nextval('changes_seq'), 'records', 'UPDATE', r.id, r.zone_id,
		       r.name,
		       CASE WHEN o.zone_id <> r.zone_id OR o.name <> r.name
		            THEN o.zone_id END,
		       CASE WHEN o.zone_id <> r.zone_id OR o.name <> r.name
		            THEN o.name END
		FROM new_rows r JOIN old_rows o ON o.id = r.id;
	ELSE
		-- Rows cascaded from a deleted zone: the zone's row says it all.
		INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
		SELECT nextval('changes_seq'), 'records', 'DELETE', o.id, o.zone_id,
		       o.name
		FROM old_rows o
		WHERE EXISTS (SELECT 1 FROM zones z WHERE z.id = o.zone_id);
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 AND current_setting('sdns.notified', true) IS DISTINCT FROM 'on' THEN
		PERFORM sdns_change_notify((SELECT zone_id FROM changes
		                            WHERE seq = currval('changes_seq')));
	END IF;
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
BEGIN
	IF TG_OP = 'DELETE' THEN j := row_to_json(OLD); ELSE j := row_to_json(NEW); END IF;
	rid := (j->>'id')::bigint;
	IF TG_TABLE_NAME = 'zones' THEN
		zid := rid;
		nm := j->>'name';
	END IF;
	PERFORM sdns_change_lock();
	INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
	VALUES (nextval('changes_seq'), TG_TABLE_NAME, TG_OP, rid, zid, nm);
	PERFORM sdns_change_notify(zid);
	RETURN NULL;
END $$;

-- A bulk writer's one entry for a whole zone: readers reload the zone.
CREATE FUNCTION sdns_change_zone(zid bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	s bigint;
BEGIN
	PERFORM sdns_change_lock();
	INSERT INTO changes (seq, tbl, op, row_id, zone_id, name)
	SELECT nextval('changes_seq'), 'zones', 'RELOAD', zid, zid, name
	FROM zones WHERE id = zid
	RETURNING seq INTO s;
	PERFORM sdns_change_notify(zid);
	RETURN s;
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

-- Whatever removes rows (sdns_store_log_prune, or an operator by hand)
-- leaves the mark readers need to see that they missed something.
CREATE FUNCTION sdns_changes_pruned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE change_head SET pruned = greatest(pruned,
			(SELECT CASE WHEN is_called THEN last_value ELSE 0 END
			 FROM changes_seq));
	ELSE
		UPDATE change_head SET pruned = greatest(pruned,
			(SELECT coalesce(max(seq), 0) FROM gone));
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER changes_delete AFTER DELETE ON changes
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION sdns_changes_pruned();
CREATE TRIGGER changes_truncate AFTER TRUNCATE ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION sdns_changes_pruned();
