#!/usr/bin/env bash
# End-to-end in store mode: a real PostgreSQL, sdnsd with --db, the API
# driven by curl (as operators do) and answers checked over DoQ: changes
# visible within a second, roles, enrollment, revocation of a live DoQ
# connection, the audit chain (and tampering), a database outage.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_store
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 >/dev/null
"$BIN/sdnsctl" pki init --dir rogue --mesh test.mesh --node srv >/dev/null

PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
pg_stop() { "$ROOT/server/dev/pg.sh" stop "$T_DIR/pg"; }
trap 'pg_stop >/dev/null 2>&1; t_cleanup' EXIT
# CONNINFO is sdnsd's role (sdns_app); OWNER the tables' owner; SUPER the
# cluster's superuser (README "Database roles").
OWNER="$CONNINFO user=sdns_owner"
SUPER=$("$ROOT/server/dev/pg.sh" conninfo "$T_DIR/pg" super)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { as_pg psql "$SUPER" -Atqc "$1"; }
# psql_app SQL: as sdnsd's role; prints the error, if any
psql_app() { as_pg psql "$CONNINFO" -Atqc "$1" 2>&1; }
sdnsd_once() { # DB-CONNINFO [FLAGS...]: start sdnsd, print its output
	local db=$1; shift
	timeout 20 "$BIN/sdnsd" --db "$db" --doq-listen "127.0.0.1:$(t_free_port)" \
		--api-listen "127.0.0.1:$(t_free_port)" --tls-cert pki/node.pem --tls-key pki/node.key \
		--tls-ca pki/ca.pem --migrations "$ROOT/migrations" "$@" 2>&1
}

# Migrations are a separate step, as the owner: the runtime role alone
# cannot apply them and says what to run.
out=$(sdnsd_once "$CONNINFO"); rc=$?
t_eq "sdnsd as the runtime role on an empty database stops (exit 1)" 1 "$rc"
t_match "and says to migrate as the owner" 'database schema 0 is older than this sdnsd \(4\).*sdnsd --migrate --db OWNER-CONNINFO --db-runtime-role ROLE' "$out"
out=$("$BIN/sdnsd" --migrate --db "$OWNER" --db-runtime-role sdns_app --migrations "$ROOT/migrations" 2>&1); rc=$?
t_eq "sdnsd --migrate as the owner role exits 0" 0 "$rc"
t_match "and applied the four migrations" 'event=migrated migrations_applied=4 .*runtime_role=sdns_app' "$out"
t_eq "the tables belong to the owner role" "sdns_owner" "$(psql_ "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('audit', 'changes', 'records', 'zones', 'nodes')")"

# sdnsd as a role that could rewrite the audit refuses to start, before
# its API listens.
out=$(sdnsd_once "$OWNER"); rc=$?
t_eq "sdnsd as the owner role refuses to start (exit 1)" 1 "$rc"
t_match "and says why" 'database role sdns_owner owns the audit table.*could disable the audit triggers.*--db-allow-owner' "$out"
t_fails "its API never started" grep -q 'event=api_started' <<<"$out"
out=$(sdnsd_once "$SUPER"); rc=$?
t_eq "sdnsd as the superuser refuses to start (exit 1)" 1 "$rc"
t_match "and says why" 'is a superuser: it could disable the audit triggers' "$out"
# The single-role escape hatch, on a database of its own: migrates at start.
"$ROOT/server/dev/pg.sh" createdb "$T_DIR/pg" single
t_bg owner "$BIN/sdnsd" --db "$OWNER dbname=single" --db-allow-owner --doq-listen "127.0.0.1:$(t_free_port)" \
	--api-listen "127.0.0.1:$(t_free_port)" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --migrations "$ROOT/migrations"
OWNER_PID=$!
t_ok "with --db-allow-owner it runs" t_wait_log owner.log 'event=db_ready .*owner_allowed=yes' 15
t_match "and applies the migrations itself" 'event=db_migrated migrations_applied=4' "$(cat owner.log)"
t_match "and warns" 'level=warn event=db_role_owner' "$(cat owner.log)"
kill "$OWNER_PID"; wait "$OWNER_PID" 2>/dev/null

DOQ=$(t_free_port); API=$(t_free_port)
t_bg sdnsd "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --ca-key pki/ca.key --mesh test.mesh \
	--migrations "$ROOT/migrations" --log-level debug
t_ok "sdnsd starts in store mode as the runtime role" t_wait_log sdnsd.log 'event=api_ready' 15
out=$(timeout 20 "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$(t_free_port)" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --ca-key pki/ca.key --mesh test.mesh \
	--migrations "$ROOT/migrations" 2>&1); rc=$?
t_eq "a second sdnsd on the held API port exits 1" "1" "$rc"
t_match "naming the option, the address and the cause" \
	"start_failed .*--api-listen: bind 127.0.0.1:$API: address already in use" "$out"
t_eq "and never logs event=started" "0" "$(echo "$out" | grep -c 'event=started')"

URL="https://localhost:$API"
# curl_ WHO METHOD PATH [BODY]: prints "STATUS BODY"; WHO is none, rogue,
# a name under pki/ or a DIR/NAME certificate prefix.
curl_() {
	local who=$1 m=$2 p=$3 body=${4:-} auth=()
	case "$who" in
	none) ;;
	rogue) auth=(--cert rogue/admin.pem --key rogue/admin.key) ;;
	*/*) auth=(--cert "$who.pem" --key "$who.key") ;;
	*) auth=(--cert "pki/$who.pem" --key "pki/$who.key") ;;
	esac
	curl -sS --cacert pki/ca.pem "${auth[@]}" -X "$m" -o body.out -w '%{http_code}' \
		${body:+-H 'Content-Type: application/json' --data "$body"} "$URL$p" 2>curl.err || true
	echo " $(cat body.out 2>/dev/null)"
}
status() { echo "${1%% *}"; }
jget() { echo "${1#* }" | $PY -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
q() { "$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
	--cert pki/app1.pem --key pki/app1.key --json "$@" 2>&1; }
# wait_answer NAME EXPECTED: polls DoQ until the first answer's data is EXPECTED (max 5 s)
wait_answer() {
	local i got
	for i in $(seq 100); do
		got=$(q "$1" A | $PY -c 'import json,sys
try:
    d=json.load(sys.stdin); print(d["answer"][0]["data"] if d["answer"] else d["status"])
except Exception: print("-")')
		[ "$got" = "$2" ] && return 0
		sleep 0.05
	done
	echo "last answer: $got"; return 1
}

r=$(curl_ admin POST /zones/node-alpha.mesh)
t_eq "admin creates a zone (201)" 201 "$(status "$r")"
t_eq "the new zone has serial 1 and an SOA" "1 SOA" "$(jget "$r" 'str(d["serial"])+" "+d["records"][0]["type"]')"
r=$(curl_ admin POST /zones/node-alpha.mesh/records '{"name":"www.node-alpha.mesh","type":"A","value":"10.0.0.5","ttl":300}')
t_eq "admin adds a record (201)" 201 "$(status "$r")"
ID=$(jget "$r" 'd["id"]')
t_ok "the record is answered over DoQ" wait_answer www.node-alpha.mesh 10.0.0.5
r=$(curl_ admin PUT "/zones/node-alpha.mesh/records/$ID" '{"name":"www.node-alpha.mesh","type":"A","value":"10.0.0.6"}')
t_eq "admin updates it (200)" 200 "$(status "$r")"
t_ok "the update is answered over DoQ" wait_answer www.node-alpha.mesh 10.0.0.6

r=$(curl_ none GET /zones)
t_eq "no client certificate: 401" 401 "$(status "$r")"
t_eq "with the error body" unauthorized "$(jget "$r" 'd["error"]["code"]')"
t_eq "a certificate from another CA: 401" 401 "$(status "$(curl_ rogue GET /zones)")"
t_eq "bad JSON: 400 bad_json" "400 bad_json" "$(r=$(curl_ admin POST /zones/node-alpha.mesh/records '{"name":'); echo "$(status "$r") $(jget "$r" 'd["error"]["code"]')")"
r=$(curl_ admin POST /zones/node-alpha.mesh/records '{"name":"x.node-alpha.mesh","type":"A","value":"10.0.0.256"}')
t_eq "a bad value names its field" "400 value" "$(status "$r") $(jget "$r" 'd["error"]["field"]')"
t_eq "a client may read (200)" 200 "$(status "$(curl_ app1 GET /zones/node-alpha.mesh/records)")"
t_eq "a client may not write (403)" 403 "$(status "$(curl_ app1 POST /zones/node-alpha.mesh/records '{"name":"d.node-alpha.mesh","type":"A","value":"10.0.0.9"}')")"

# Enrollment: two nodes join with one-time tokens; zones are owned by nodes.
enroll() { # enroll NAME: token from the admin, redeemed with sdnsctl enroll
	local r tok
	r=$(curl_ admin POST /peers/tokens "{\"name\":\"$1\",\"role\":\"node\",\"ttl_seconds\":600}")
	tok=$(jget "$r" 'd["token"]')
	echo "$tok" > "token-$1"
	"$BIN/sdnsctl" enroll --api "$URL" --ca pki/ca.pem --token "$tok" --dir "$1" --name "$1"
}
t_ok "node-b enrolls with a one-time token" enroll node-b
t_ok "node-c enrolls too" enroll node-c
t_fails "a token cannot be used twice" "$BIN/sdnsctl" enroll --api "$URL" --ca pki/ca.pem \
	--token "$(cat token-node-b)" --dir again --name node-b
t_fails "a forged token is refused" "$BIN/sdnsctl" enroll --api "$URL" --ca pki/ca.pem \
	--token AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --dir forged --name node-x
t_eq "admin gives node-b a zone" 201 "$(status "$(curl_ admin POST /zones/node-b.mesh '{"owner":"node-b"}')")"
t_eq "node-b writes its own zone (201)" 201 "$(status "$(curl_ node-b/node POST /zones/node-b.mesh/records '{"name":"b.node-b.mesh","type":"A","value":"10.0.0.7"}')")"
t_eq "node-c may not write node-b's zone (403)" 403 "$(status "$(curl_ node-c/node POST /zones/node-b.mesh/records '{"name":"c.node-b.mesh","type":"A","value":"10.0.0.8"}')")"
t_ok "the record written by node-b is answered over DoQ" wait_answer b.node-b.mesh 10.0.0.7

# Revocation closes node-c's live DoQ connection and locks it out.
node_c_q() { "$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
	--cert node-c/node.pem --key node-c/node.key www.node-alpha.mesh A; }
t_ok "node-c queries over DoQ" node_c_q
PEER=$(jget "$(curl_ admin GET /peers)" '[p["id"] for p in d["peers"] if p["name"]=="node-c"][0]')
"$BIN/sdnsctl" bench --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
	--cert node-c/node.pem --key node-c/node.key --connections 1 --streams 1 \
	--duration 4 --json www.node-alpha.mesh > bench.json 2>bench.err &
BENCH=$!
sleep 1
r=$(curl_ admin DELETE "/peers/$PEER")
t_eq "admin revokes node-c" "200 revoked" "$(status "$r") $(jget "$r" 'd["status"]')"
wait "$BENCH"; brc=$?
t_eq "its open DoQ connection is closed (the bench sees it fail)" 1 "$brc"
t_match "the bench reports the lost connection" '"connections_lost": 1' "$(cat bench.json)"
t_ok "sdnsd logs the close" t_wait_log sdnsd.log 'event=conn_closed reason=revoked' 5
t_fails "its new DoQ handshakes are refused" node_c_q
t_eq "the API refuses it (401)" 401 "$(status "$(curl_ node-c/node GET /zones)")"

r=$(curl_ admin GET '/audit?limit=1000')
t_match "audit lists every step" 'zone.create.*record.create.*record.update.*token.create.*peer.enroll.*peer.revoke' \
	"$(jget "$r" '" ".join(e["action"] for e in d["entries"])')"
t_eq "the audit chain verifies" True "$(jget "$(curl_ admin GET /audit/verify)" 'd["ok"]')"
AID=$(psql_ "SELECT min(id) + 2 FROM audit")
N=$(psql_ "SELECT count(*) FROM audit")
t_match "sdnsd's role cannot disable the audit triggers" 'must be owner of table audit' "$(psql_app "ALTER TABLE audit DISABLE TRIGGER ALL")"
t_match "nor update an entry" 'permission denied for table audit' "$(psql_app "UPDATE audit SET actor = 'x' WHERE id = $AID")"
t_match "nor delete one" 'permission denied for table audit' "$(psql_app "DELETE FROM audit WHERE id = $AID")"
t_match "nor truncate the table" 'permission denied for table audit' "$(psql_app "TRUNCATE audit")"
t_eq "the audit is whole" "$N" "$(psql_ "SELECT count(*) FROM audit")"
# The owner (or a superuser) still can: an insider, which verify must find.
psql_ "ALTER TABLE audit DISABLE TRIGGER USER; UPDATE audit SET actor = 'spiffe://test.mesh/admin/mallory' WHERE id = $AID; ALTER TABLE audit ENABLE TRIGGER USER" >/dev/null
r=$(curl_ admin GET /audit/verify)
t_eq "a row edited behind the API's back is found" "False $AID" "$(jget "$r" 'str(d["ok"])+" "+str(d["first_bad_id"])')"

# Database outage: DoQ keeps the last data, the API says 503, then recovers.
pg_stop
t_eq "DoQ still answers while the database is down" 10.0.0.6 "$(q www.node-alpha.mesh A | $PY -c 'import json,sys; print(json.load(sys.stdin)["answer"][0]["data"])')"
r=$(curl_ admin POST /zones/node-alpha.mesh/records '{"name":"late.node-alpha.mesh","type":"A","value":"10.0.0.10"}')
t_eq "the API answers 503 unavailable" "503 unavailable" "$(status "$r") $(jget "$r" 'd["error"]["code"]')"
"$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT" >/dev/null
for _ in $(seq 50); do [ "$(status "$(curl_ admin GET /healthz)")" = 200 ] && break; sleep 0.1; done
r=$(curl_ admin POST /zones/node-alpha.mesh/records '{"name":"late.node-alpha.mesh","type":"A","value":"10.0.0.10"}')
t_eq "after the restart the API writes again" 201 "$(status "$r")"
t_ok "and the change is answered over DoQ" wait_answer late.node-alpha.mesh 10.0.0.10

# Start-up with the database down: serve nothing, say so, recover.
kill -TERM "$(pgrep -f "sdnsd --db $CONNINFO" | head -1)" 2>/dev/null
pg_stop
DOQ2=$(t_free_port); API2=$(t_free_port)
t_bg sdnsd2 "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ2" \
	--api-listen "127.0.0.1:$API2" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --mesh test.mesh --migrations "$ROOT/migrations" --log-level debug
t_ok "started with the database down, sdnsd logs db_unavailable and libpq's cause" \
	t_wait_log sdnsd2.log 'event=db_unavailable retry_in_ms=[0-9]+ cause="[^"]*(No such file|refused|socket)' 10
t_match "and answers nothing (REFUSED)" '"status": "REFUSED"' "$("$BIN/sdnsctl" query --server "127.0.0.1:$DOQ2" \
	--server-name localhost --ca pki/ca.pem --cert pki/app1.pem --key pki/app1.key --json www.node-alpha.mesh 2>&1)"
"$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT" >/dev/null
t_ok "once the database is up it loads the zones" t_wait_log sdnsd2.log 'event=zones_loaded zones=2' 15
t_match "and answers them" '"data": "10.0.0.6"' "$("$BIN/sdnsctl" query --server "127.0.0.1:$DOQ2" \
	--server-name localhost --ca pki/ca.pem --cert pki/app1.pem --key pki/app1.key --json www.node-alpha.mesh 2>&1)"

# A schema newer than this binary is a clear start-up error.
psql_ "INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')" >/dev/null
out=$(timeout 20 "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$(t_free_port)" \
	--api-listen "127.0.0.1:$(t_free_port)" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --migrations "$ROOT/migrations" 2>&1); rc=$?
t_eq "sdnsd refuses a newer database schema (exit 1)" 1 "$rc"
t_match "and says why" 'database schema 999 is newer than this sdnsd' "$out"

# The upgrade of a single-role database (README "Database roles"): the
# migrations before 004 applied by sdnsd's own role (here the superuser),
# then deploy/adopt-owner.sql and --migrate as the new owner.
mkdir -p old-migrations && cp "$ROOT"/migrations/00[123]_*.sql old-migrations/
as_pg psql "$SUPER" -qc "CREATE DATABASE legacy" >/dev/null
"$BIN/sdnsd" --migrate --db "$SUPER dbname=legacy" --migrations old-migrations >/dev/null 2>&1
t_eq "a single-role database: the superuser owns audit" "$(psql_ "SELECT current_user")" \
	"$(as_pg psql "$SUPER dbname=legacy" -Atqc "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'audit'")"
t_ok "deploy/adopt-owner.sql hands it to sdns_owner" \
	bash -c "$(declare -f as_pg); as_pg psql '$SUPER dbname=legacy' -q -v owner=sdns_owner -f - <'$ROOT/deploy/adopt-owner.sql'"
t_ok "sdnsd --migrate as the owner applies the rest" "$BIN/sdnsd" --migrate --db "$OWNER dbname=legacy" \
	--db-runtime-role sdns_app --migrations "$ROOT/migrations"
t_eq "nothing is left to the old owner" "sdns_owner" "$(as_pg psql "$SUPER dbname=legacy" -Atqc \
	"SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace UNION SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'legacy'")"
t_bg legacy "$BIN/sdnsd" --db "$CONNINFO dbname=legacy" --doq-listen "127.0.0.1:$(t_free_port)" \
	--api-listen "127.0.0.1:$(t_free_port)" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --migrations "$ROOT/migrations"
t_ok "and sdnsd serves it as the runtime role" t_wait_log legacy.log 'event=db_ready .*owner_allowed=no' 15

t_done
