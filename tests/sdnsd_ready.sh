#!/usr/bin/env bash
# Start-up readiness (issue 13): until the store is ready (schema and role
# checked, migrated with --db-allow-owner, revocations and zones loaded) the
# API answers 503 with Retry-After, never a 500, and such a 503 is not a 5xx
# in /metrics; a 500 is logged with its cause. The race is real only when
# the database is not there at sdnsd's first (synchronous) check: sdnsd
# starts against a database that does not exist yet, the database appears,
# and a write goes in at once, before the sync thread has migrated it.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_ready
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
trap '"$ROOT/server/dev/pg.sh" stop "$T_DIR/pg" >/dev/null 2>&1; t_cleanup' EXIT
OWNER="$CONNINFO user=sdns_owner"
SUPER=$("$ROOT/server/dev/pg.sh" conninfo "$T_DIR/pg" super)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { as_pg psql "$SUPER" -Atqc "$1"; }

# req PORT METHOD PATH: prints "STATUS RETRY-AFTER BODY"
req() {
	curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key \
		-X "$2" -D hdr.out -o body.out -w '%{http_code}' "https://localhost:$1$3" 2>/dev/null || true
	local ra; ra=$(tr -d '\r' <hdr.out 2>/dev/null | sed -n 's/^[Rr]etry-[Aa]fter: //p')
	echo " ${ra:--} $(cat body.out 2>/dev/null)"
}
# start DB API-PORT: sdnsd (migrating itself) on a database not there yet
start() {
	"$BIN/sdnsd" --db "$OWNER dbname=$1" --db-allow-owner --doq-listen "127.0.0.1:$(t_free_port)" \
		--api-listen "127.0.0.1:$2" --tls-cert pki/node.pem --tls-key pki/node.key \
		--tls-ca pki/ca.pem --migrations "$ROOT/migrations" >"sdnsd-$1.log" 2>&1 &
	PID=$!
	T_PIDS+=("$PID")
	local i
	for i in $(seq 400); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		sleep 0.005
	done
	return 1
}

RUNS=${READY_RUNS:-50}
n500=0 n503=0 bad=() first503= noretry=0 seen_healthz=
for i in $(seq "$RUNS"); do
	db=fresh$i API=$(t_free_port)
	start "$db" "$API" || { bad+=("run $i: the API never listened"); continue; }
	if [ -z "$seen_healthz" ]; then   # once: /healthz before the database exists
		seen_healthz=$(req "$API" GET /healthz)
	fi
	psql_ "CREATE DATABASE $db OWNER sdns_owner"
	# write at once; a 503 says when to come back (retried sooner here)
	for try in $(seq 200); do
		r=$(req "$API" POST /zones/z.mesh)
		case "${r%% *}" in
		201) break ;;
		503) n503=$((n503 + 1)); [ -n "$first503" ] || first503=$r
		     [ "$(echo "$r" | cut -d' ' -f2)" != - ] || noretry=$((noretry + 1))
		     sleep 0.02 ;;
		500) n500=$((n500 + 1)); bad+=("run $i: $r"); break ;;
		*) bad+=("run $i: $r"); break ;;
		esac
	done
	[ "${r%% *}" = 201 ] || [ "${r%% *}" = 500 ] || bad+=("run $i: never 201: $r")
	if [ "$i" = 1 ]; then
		metrics=$(curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key "https://localhost:$API/metrics")
	fi
	kill "$PID"; wait "$PID" 2>/dev/null
done
echo "  $n500 500s and $n503 503s in $RUNS fresh starts"
t_eq "no 500 in $RUNS fresh starts written to at once; each write 201 or 503-then-201" "" "$(printf '%s\n' "${bad[@]}" | head -5)"
t_eq "every 503 carries Retry-After" 0 "$noretry"
t_match "before the database exists /healthz answers 503 not_ready with Retry-After" '^503 1 \{"status":"starting","database":"not_ready"\}$' "$seen_healthz"
if [ -n "$first503" ]; then
	t_match "a write before readiness: 503 unavailable, not ready yet" '^503 1 \{"error":\{"code":"unavailable","message":"the database is not ready yet"\}\}$' "$first503"
fi
t_match "the start-up 503s are counted apart in /metrics" 'sdns_api_not_ready_total [1-9]' "$metrics"
t_match "and not as 5xx" 'sdns_api_responses_total\{class="5xx"\} 0' "$metrics"

# A 500 is logged with its cause: a ready sdnsd whose table went away
# under it (the store error is internal, not unavailable).
psql_ "CREATE DATABASE broken OWNER sdns_owner"
API=$(t_free_port)
start broken "$API"
t_ok "sdnsd on a fresh database gets ready" t_wait_log sdnsd-broken.log 'event=api_ready' 10
t_eq "a write once ready: 201" 201 "$(req "$API" POST /zones/a.mesh | cut -d' ' -f1)"
as_pg psql "$OWNER dbname=broken" -Atqc "ALTER TABLE zones RENAME TO zones_gone" >/dev/null
r=$(req "$API" POST /zones/b.mesh)
t_match "then a write with the table gone: 500 internal, no SQL in the body" '^500 - \{"error":\{"code":"internal","message":"internal error"\}\}$' "$r"
t_ok "the log has the 500 at error level with method, route and the store's text" \
	t_wait_log sdnsd-broken.log 'level=error event=api_internal_error method=POST path=/zones/b.mesh cause=".*zones.*"' 3
kill "$PID"; wait "$PID" 2>/dev/null
t_done
