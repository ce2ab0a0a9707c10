#!/usr/bin/env bash
# api/openapi.yaml checked by tools the project did not write (issue 15):
# Redocly's linter with every recommended warning an error
# (tests/openapi/redocly.yaml), then a client generated from the spec by
# openapi-typescript, compiled by tsc (which refuses a route or field the
# spec lacks) and used against a live sdnsd: its writes must be rows in the
# database and answers over DoQ. Each check is also shown to fail: a spec
# with an operation missing its operationId, a client using a route the
# spec does not have. The npm tools are pinned by tests/openapi/package-lock.json.
. "$(dirname "$0")/lib/shtest.sh"
t_setup openapi
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/
DIR=$ROOT/tests/openapi
SPEC=$ROOT/api/openapi.yaml

if [ ! -x "$DIR/node_modules/.bin/redocly" ] || [ ! -x "$DIR/node_modules/.bin/tsc" ]; then
	echo "  installing the OpenAPI tools (npm ci)"
	(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T_DIR/npm.log" 2>&1 || tail -5 "$T_DIR/npm.log"
fi
t_ok "the pinned OpenAPI tools are installed" test -x "$DIR/node_modules/.bin/redocly"
if [ "$T_FAIL" -ne 0 ]; then t_done; exit 1; fi
lint() { (cd "$DIR" && NO_COLOR=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	./node_modules/.bin/redocly lint "$1" --config redocly.yaml --format=stylish 2>&1); }

out=$(lint "$SPEC"); rc=$?
t_eq "redocly lint (recommended-strict) passes on api/openapi.yaml" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | grep -E "error|warning" | head -20
t_match "and it is OpenAPI 3.1 (mutualTLS is a 3.1 security scheme)" '^openapi: 3\.1\.' "$(head -1 "$SPEC")"
n_ops=$(grep -cE '^    (get|post|put|delete|patch):' "$SPEC")
t_eq "every operation has an operationId" "$n_ops" "$(grep -c '^      operationId: ' "$SPEC")"
t_eq "operationIds are unique" "$n_ops" "$(grep '^      operationId: ' "$SPEC" | sort -u | wc -l)"
sed '0,/^      operationId: /{/^      operationId: /d}' "$SPEC" >"$T_DIR/broken.yaml"
out=$(lint "$T_DIR/broken.yaml"); rc=$?
t_fails "the linter fails on a spec with an operation missing its operationId" test "$rc" = 0
t_match "and names the rule" 'operation-operationId' "$out"

# The generated client, compiled against the spec.
rm -rf "$DIR/gen"
t_ok "openapi-typescript generates the client's types" \
	bash -c "cd '$DIR' && ./node_modules/.bin/openapi-typescript '$SPEC' -o gen/api.d.ts"
t_ok "tsc compiles the client against them" bash -c "cd '$DIR' && ./node_modules/.bin/tsc -p ."
sed -e 's|"/zones/{zone}/records"|"/zones/{zone}/recordz"|' -e 's|"./gen/api.js"|"./api.js"|' \
	"$DIR/client.ts" >"$DIR/gen/bad.ts"
out=$(cd "$DIR" && ./node_modules/.bin/tsc --noEmit --strict --module nodenext --moduleResolution nodenext \
	--target es2022 --skipLibCheck --types node gen/bad.ts 2>&1); rc=$?
t_fails "and refuses a client calling a route the spec does not have" test "$rc" = 0
t_match "naming the route" '"/zones/\{zone\}/recordz"' "$out"

# A live node for the client.
cd "$T_DIR"
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
trap '"$ROOT/server/dev/pg.sh" stop "$T_DIR/pg" >/dev/null 2>&1; t_cleanup' EXIT
"$ROOT/server/dev/migrate.sh" "$CONNINFO" >migrate.log 2>&1 || { cat migrate.log; exit 1; }
DOQ=$(t_free_port); API=$(t_free_port)
t_bg sdnsd "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --mesh test.mesh --migrations "$ROOT/migrations"
t_ok "sdnsd is ready" t_wait_log sdnsd.log 'event=api_ready' 20

res=$(cd "$DIR" && PKI=$T_DIR/pki API_URL=https://localhost:$API ZONE=openapi.mesh timeout 60 node gen/client.js 2>&1)
echo "  client: $res"
field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$res" "$1" 2>/dev/null; }
t_eq "the generated client creates a zone (201)" 201 "$(field create_status)"
t_eq "adds a record to it (201)" 201 "$(field record_status)"
t_eq "gets the typed error of a bad value (400 invalid_field)" "400 invalid_field" "$(field bad_status) $(field bad_code)"
t_eq "lists the record it added" "['gen.openapi.mesh 120 A 192.0.2.44']" "$(field listed)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
row=$(as_pg psql "$("$ROOT/server/dev/pg.sh" conninfo "$T_DIR/pg" super)" -Atqc \
	"SELECT r.name || ' ' || r.ttl || ' ' || r.rdata_text FROM records r JOIN zones z ON z.id = r.zone_id
	 WHERE z.name = 'openapi.mesh' AND r.type = 1")
t_eq "the record is a row in the database" "gen.openapi.mesh 120 192.0.2.44" "$row"
t_eq "the zone's record count matches the rows (SOA and NS included)" \
	"$(as_pg psql "$("$ROOT/server/dev/pg.sh" conninfo "$T_DIR/pg" super)" -Atqc \
	"SELECT count(*) FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.name = 'openapi.mesh'")" \
	"$(field zone_records)"
answer() {
	"$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
		--cert pki/admin.pem --key pki/admin.key gen.openapi.mesh A 2>&1 | grep -q '192\.0\.2\.44'
}
ok=; for _ in $(seq 50); do answer && { ok=1; break; }; sleep 0.1; done
t_ok "and answered over DoQ" test -n "$ok"
t_done
