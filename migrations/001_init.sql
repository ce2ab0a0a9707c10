-- secure_dns schema 1: nodes, zones, records, enrollment tokens, revocation,
-- audit chain, change notifications. Applied in one transaction by
-- sdns_store_migrate, which records it in schema_migrations.

CREATE TABLE nodes (
	id             bigserial PRIMARY KEY,
	name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
	role           text NOT NULL CHECK (role IN ('node', 'admin', 'client')),
	spiffe_id      text NOT NULL UNIQUE CHECK (length(spiffe_id) <= 160),
	doq_endpoint   text CHECK (length(doq_endpoint) <= 300),
	cert_pem       text NOT NULL,
	cert_sha256    bytea NOT NULL UNIQUE CHECK (length(cert_sha256) = 32),
	spki_sha256    bytea NOT NULL CHECK (length(spki_sha256) = 32),
	cert_serial    text NOT NULL,
	cert_not_after timestamptz,
	zone_pubkey    bytea CHECK (zone_pubkey IS NULL OR length(zone_pubkey) = 32),
	status         text NOT NULL DEFAULT 'active'
	               CHECK (status IN ('active', 'revoked')),
	enrolled_at    timestamptz NOT NULL DEFAULT now(),
	revoked_at     timestamptz,
	last_seen      timestamptz
);

CREATE TABLE zones (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL UNIQUE
	              CHECK (length(name) BETWEEN 1 AND 253 AND name = lower(name)
	                     AND right(name, 1) <> '.'),
	owner_node_id bigint REFERENCES nodes(id) ON DELETE SET NULL,
	serial        bigint NOT NULL DEFAULT 1 CHECK (serial BETWEEN 1 AND 4294967295),
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE records (
	id         bigserial PRIMARY KEY,
	zone_id    bigint NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	name       text NOT NULL
	           CHECK (length(name) BETWEEN 1 AND 253 AND name = lower(name)),
	type       integer NOT NULL
	           CHECK (type BETWEEN 1 AND 65535
	                  AND type NOT IN (41, 249, 250, 251, 252, 253, 254, 255)),
	ttl        integer NOT NULL CHECK (ttl >= 0),
	rdata_text text NOT NULL CHECK (length(rdata_text) <= 262144),
	rdata      bytea NOT NULL CHECK (length(rdata) <= 65535),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (zone_id, name, type, rdata)
);
CREATE INDEX records_zone_name ON records (zone_id, name);

-- RFC 1034 3.6.2: a CNAME owner holds nothing else (RRSIG/NSEC excepted).
-- Concurrent writers of one zone are serialised by the zone row lock.
CREATE FUNCTION records_cname_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
CREATE TRIGGER records_cname BEFORE INSERT OR UPDATE ON records
	FOR EACH ROW EXECUTE FUNCTION records_cname_check();

CREATE TABLE enroll_tokens (
	id         bigserial PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	role       text NOT NULL CHECK (role IN ('node', 'admin', 'client')),
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	node_id    bigint REFERENCES nodes(id) ON DELETE SET NULL,
	created_by text,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE revoked (
	id          bigserial PRIMARY KEY,
	cert_serial text NOT NULL,
	spki_sha256 bytea NOT NULL CHECK (length(spki_sha256) = 32),
	node_id     bigint REFERENCES nodes(id) ON DELETE SET NULL,
	reason      text,
	revoked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit (
	id         bigserial PRIMARY KEY,
	ts         text NOT NULL,
	actor      text NOT NULL,
	actor_fp   text NOT NULL,
	action     text NOT NULL,
	object     text NOT NULL,
	before     jsonb,
	after      jsonb,
	prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash       bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	sig        bytea NOT NULL CHECK (length(sig) = 64),
	signer_pub bytea NOT NULL CHECK (length(signer_pub) = 32)
);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit is append-only (% refused)', TG_OP
		USING ERRCODE = 'SD403';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Change notifications, delivered at commit.
CREATE FUNCTION sdns_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	rid bigint;
	zid bigint;
	j json;
BEGIN
	IF TG_OP = 'DELETE' THEN j := row_to_json(OLD); ELSE j := row_to_json(NEW); END IF;
	rid := (j->>'id')::bigint;
	zid := NULL;
	IF TG_TABLE_NAME = 'records' THEN
		zid := (j->>'zone_id')::bigint;
	ELSIF TG_TABLE_NAME = 'zones' THEN
		zid := rid;
	END IF;
	PERFORM pg_notify('sdns_changes', json_build_object('table', TG_TABLE_NAME,
		'op', TG_OP, 'id', rid, 'zone_id', zid)::text);
	RETURN NULL;
END $$;
CREATE TRIGGER zones_notify AFTER INSERT OR UPDATE OR DELETE ON zones
	FOR EACH ROW EXECUTE FUNCTION sdns_notify();
CREATE TRIGGER records_notify AFTER INSERT OR UPDATE OR DELETE ON records
	FOR EACH ROW EXECUTE FUNCTION sdns_notify();
CREATE TRIGGER nodes_notify AFTER INSERT OR UPDATE OR DELETE ON nodes
	FOR EACH ROW EXECUTE FUNCTION sdns_notify();
CREATE TRIGGER revoked_notify AFTER INSERT OR UPDATE OR DELETE ON revoked
	FOR EACH ROW EXECUTE FUNCTION sdns_notify();
CREATE TRIGGER audit_notify AFTER INSERT ON audit
	FOR EACH ROW EXECUTE FUNCTION sdns_notify();
