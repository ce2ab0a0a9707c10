#!/usr/bin/env bash
# `make bench`, zones at scale: for each size (BENCH_SIZES, default
# "1000 100000 1000000" records) and unsigned/signed, one sdnsd in store
# mode on its own database:
#   - the zone is written straight into PostgreSQL (COPY in bulk mode, one
#     change-log row), and the time until sdnsd serves its last name;
#   - a cold start: sdnsd restarted, the time to load (and sign) it all;
#   - RSS above the same daemon with no zone, per record;
#   - change -> new DoQ answer on the same node, kept connection
#     (sdnsctl bench-api --changes), and for the largest signed zone the
#     same under a steady BENCH_BG_RATE (500) writes/s;
#   - API writes/s with 8 clients on the smallest zone.
# Figures only, never pass/fail. Prints a table at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
SIZES=${BENCH_SIZES:-"1000 100000 1000000"}
CHANGES=${BENCH_SCALE_CHANGES:-500}
BG_RATE=${BENCH_BG_RATE:-500}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/sdns-scale-XXXXXX")
chmod 755 "$DIR"
PID=
freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_sdnsd() { [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }; PID=; }
cleanup() { stop_sdnsd; "$ROOT/server/dev/pg.sh" stop "$DIR/pg" >/dev/null 2>&1 || true; cp "$DIR"/*.out /tmp/ 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
cd "$DIR"
"$BIN/sdnsctl" pki init --dir pki --mesh bench.mesh --node bench >/dev/null
mkdir -p zk && "$BIN/sdnsctl" pki zonekey --out zk >/dev/null
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$DIR/pg" "$(freeport)")
psql_() { psql "$1" -qAtX -v ON_ERROR_STOP=1 "${@:2}"; }
ms_now() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start_sdnsd DB SIGNED LOG: DoQ on $DOQ, API on $API
start_sdnsd() {
	local key=()
	[ "$2" = yes ] && key=(--zone-key zk/zone.key)
	"$BIN/sdnsd" --db "$1" --doq-listen "127.0.0.1:$DOQ" --api-listen "127.0.0.1:$API" \
		--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
		--migrations "$ROOT/migrations" "${key[@]}" --log-level info 2>>"$3" &
	PID=$!
}
wait_log() { for _ in $(seq "$3"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
api=(--ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key)
doq=(--server-name localhost "${api[@]}")
answers() {
	"$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" "${doq[@]}" "$1" A 2>/dev/null | grep -q "$2"
}

# The zone's records as COPY text rows: host<i>.big.mesh A 10.x.y.z
gen_rows() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
zid, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout
for i in range(n):
    a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
    out.write(f"{zid}\thost{i}.big.mesh\t1\t300\t10.{a}.{b}.{c}\t\\\\x0a{a:02x}{b:02x}{c:02x}\n")
PY
}

declare -A R
for size in $SIZES; do
	for signed in no yes; do
		tag="${size}_$signed"
		db="scale_$tag"
		"$ROOT/server/dev/pg.sh" createdb "$DIR/pg" "$db"
		ci=${CONNINFO/dbname=sdns/dbname=$db}
		BIN=$BIN "$ROOT/server/dev/migrate.sh" "$ci" >>"$DIR/migrate.log" 2>&1
		DOQ=$(freeport) API=$(freeport)
		log="$DIR/$tag.log"
		start_sdnsd "$ci" "$signed" "$log"
		wait_log "$log" 'event=zones_loaded' 300 || { echo "sdnsd did not start ($tag)"; tail -5 "$log"; exit 1; }
		sleep 1
		rss0=$(rss_kb "$PID")
		"$BIN/sdnsctl" zone create big.mesh --api "https://localhost:$API" "${api[@]}" >/dev/null
		zid=$(psql_ "$ci" -c "SELECT id FROM zones WHERE name = 'big.mesh'")
		t0=$(ms_now)
		gen_rows "$zid" "$size" | psql_ "$ci" -c "BEGIN" -c "SET LOCAL sdns.bulk = 'on'" \
			-c "COPY records (zone_id, name, type, ttl, rdata_text, rdata) FROM STDIN" \
			-c "SELECT sdns_change_zone($zid)" -c "COMMIT" >/dev/null
		t1=$(ms_now)
		last="host$((size - 1)).big.mesh"
		for _ in $(seq 1200); do answers "$last" "10\." && break; sleep 0.1; done
		t2=$(ms_now)
		R[$tag,copy]=$(( t1 - t0 ))
		R[$tag,reload]=$(( t2 - t1 ))
		# What autovacuum would do a minute later, now: the change figures
		# are of a settled database, not of one busy with a million fresh
		# rows.
		psql_ "$ci user=sdns_owner" -c "VACUUM (ANALYZE) records" >/dev/null
		# Cold start: a new daemon loads (and signs) it all.
		stop_sdnsd
		: >"$log.cold"
		start_sdnsd "$ci" "$signed" "$log.cold"
		wait_log "$log.cold" 'event=zones_loaded' 1200 || { echo "no cold load ($tag)"; exit 1; }
		R[$tag,cold]=$(sed -n 's/.*event=zones_loaded.* ms=\([0-9]*\).*/\1/p' "$log.cold" | head -1)
		for _ in $(seq 100); do answers "$last" "10\." && break; sleep 0.1; done
		sleep 1
		rss1=$(rss_kb "$PID")
		R[$tag,bpr]=$(( (rss1 - rss0) * 1024 / size ))
		out=$("$BIN/sdnsctl" bench-api --api "https://localhost:$API" --server "127.0.0.1:$DOQ" \
			"${doq[@]}" --writes 0 --changes "$CHANGES" big.mesh 2>&1 || true)
		R[$tag,chg]=$(echo "$out" | sed -n 's/API change.*p50 \([0-9.]*\) ms  p99 \([0-9.]*\) ms.*/\1 \/ \2/p')
		R[$tag,e2e]=$(echo "$out" | sed -n 's/API write sent.*p50 \([0-9.]*\) ms  p99 \([0-9.]*\) ms.*/\1 \/ \2/p')
		R[$tag,rss_after]=$(( $(rss_kb "$PID") / 1024 ))
		if [ "$size" = "${SIZES##* }" ] && [ "$signed" = yes ]; then
			out=$("$BIN/sdnsctl" bench-api --api "https://localhost:$API" --server "127.0.0.1:$DOQ" \
				"${doq[@]}" --writes 0 --changes "$CHANGES" --clients 16 --background-rate "$BG_RATE" \
				big.mesh 2>&1 || true); echo "$out" >"$DIR/load.out"
			R[load]=$(echo "$out" | sed -n 's/API change.*p50 \([0-9.]*\) ms  p99 \([0-9.]*\) ms.*under \([0-9]*\) writes.*/\1 \/ \2 ms at \3 writes\/s/p')
		fi
		if [ "$size" = "${SIZES%% *}" ] && [ "$signed" = no ]; then
			out=$("$BIN/sdnsctl" bench-api --api "https://localhost:$API" --server "127.0.0.1:$DOQ" \
				"${doq[@]}" --writes "${BENCH_API_WRITES:-2000}" --clients 8 --changes 0 big.mesh 2>&1 || true)
			R[writes]=$(echo "$out" | sed -n 's/API writes: \([0-9]*\)\/s.*/\1/p')
		fi
		stop_sdnsd
		psql_ "$CONNINFO user=sdns_owner" -c "DROP DATABASE $db" || true
	done
done

# The peer: Knot DNS on the same zones (knotc transactions, UDP answers).
if command -v knotd >/dev/null && /usr/bin/python3 -c 'import dns' 2>/dev/null; then
	while read -r _ size signed load bpr p50 p99 e50 e99; do
		R[${size}_$signed,kload]=$load R[${size}_$signed,kbpr]=$bpr
		R[${size}_$signed,kchg]="$p50 / $p99" R[${size}_$signed,ke2e]="$e50 / $e99"
	done < <(/usr/bin/python3 "$ROOT/tests/lib/knotbench.py" "$SIZES" "$CHANGES" 2>"$DIR/knot.err" || true)
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

echo
echo "== zones at scale (one sdnsd, PostgreSQL on a Unix socket, $(nproc) cores)"
printf '%-9s %-6s %11s %13s %11s %9s %18s %18s %8s\n' records signed "COPY in ms" "served after" "cold load" "B/record" \
	"change p50/p99 ms" "write p50/p99 ms" "RSS MiB"
for size in $SIZES; do
	for signed in no yes; do
		tag="${size}_$signed"
		printf '%-9s %-6s %11s %10s ms %8s ms %9s %18s %18s %8s\n' "$size" "$signed" \
			"${R[$tag,copy]}" "${R[$tag,reload]}" "${R[$tag,cold]}" "${R[$tag,bpr]}" \
			"${R[$tag,chg]}" "${R[$tag,e2e]}" "${R[$tag,rss_after]}"
	done
done
[ -n "${R[load]:-}" ] && echo "largest signed zone, change -> answer under steady load: p50/p99 ${R[load]}"
[ -n "${R[writes]:-}" ] && echo "API writes, 8 clients, small zone: ${R[writes]}/s"
echo
echo "== beside Knot DNS $(knotd --version 2>/dev/null | sed -n 's/.*version //p') (same zones; ratio = sdnsd / Knot, below 1 is better)"
echo "   (change: after the write returned -> answer; write: from sending the write -> answer,"
echo "    sdnsd's API POST over HTTPS, Knot's three knotc calls)"
printf '%-9s %-6s %22s %20s %26s %26s\n' records signed "load ms sdnsd/knot" "B/record sdnsd/knot" \
	"change p99 ms sdnsd/knot" "write p99 ms sdnsd/knot"
for size in $SIZES; do
	for signed in no yes; do
		tag="${size}_$signed"
		[ -n "${R[$tag,kload]:-}" ] || { echo "$size $signed: Knot not measured (see knot.err)"; continue; }
		sp99=${R[$tag,chg]##* }; kp99=${R[$tag,kchg]##* }
		se99=${R[$tag,e2e]##* }; ke99=${R[$tag,ke2e]##* }
		printf '%-9s %-6s %8s/%-7s %5s %7s/%-5s %5s %8s/%-6s %6s %8s/%-6s %6s\n' "$size" "$signed" \
			"${R[$tag,cold]}" "${R[$tag,kload]}" "$(ratio "${R[$tag,cold]}" "${R[$tag,kload]}")" \
			"${R[$tag,bpr]}" "${R[$tag,kbpr]}" "$(ratio "${R[$tag,bpr]}" "${R[$tag,kbpr]}")" \
			"$sp99" "$kp99" "$(ratio "$sp99" "$kp99")" "$se99" "$ke99" "$(ratio "$se99" "$ke99")"
	done
done
