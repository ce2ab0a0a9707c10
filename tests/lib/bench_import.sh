#!/usr/bin/env bash
# Zone import at scale, for `make bench` (a figure, and one check that is
# too big for `make test`): a private PostgreSQL and sdnsd with the API,
# then `sdnsctl zone import` of IMPORT_RECORDS A records (default 1,000,000)
# end to end over HTTPS, and the same file broken at line 999,999 (or the
# last but one line), which must be refused with that line number and
# change nothing.
#   BIN (default bin), IMPORT_RECORDS
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
N=${IMPORT_RECORDS:-1000000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/sdns-bench-import-XXXXXX")
chmod 755 "$DIR"   # the postgres user walks into pg/
PID=
cleanup() {
	[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	"$ROOT/server/dev/pg.sh" stop "$DIR/pg" >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT
freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
cd "$DIR"

"$BIN/sdnsctl" pki init --dir pki --mesh bench.mesh --node bench >/dev/null
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$DIR/pg" "$(freeport)")
BIN=$BIN "$ROOT/server/dev/migrate.sh" "$CONNINFO" >migrate.log 2>&1
API=$(freeport)
"$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$(freeport)" --api-listen "127.0.0.1:$API" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--migrations "$ROOT/migrations" --log-level warn 2>sdnsd.log &
PID=$!
api=(--api "https://localhost:$API" --ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key
	--timeout-ms 120000)
for _ in $(seq 100); do "$BIN/sdnsctl" zone list "${api[@]}" >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN/sdnsctl" zone create bench.mesh "${api[@]}" >/dev/null

# $TTL, the SOA (line 2), then N - 1 A records: N records on N + 1 lines.
gen() {
	awk -v n="$N" -v bad="${1:-0}" 'BEGIN {
		print "$TTL 3600"
		print "@ IN SOA ns.bench.mesh. hostmaster.bench.mesh. 1 3600 600 1209600 300"
		for (i = 1; i < n; i++) {
			if (i + 2 == bad) { print "broken IN A 10.0.0.256"; continue }
			printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
		}
	}'
}
gen >zone.txt
BAD=$(( N + 1 > 999999 ? 999999 : N ))
gen "$BAD" >bad.txt
MIB=$(( $(stat -c %s zone.txt) / 1048576 ))

echo "== zone import: $N A records ($MIB MiB), sdnsctl -> HTTPS -> sdnsd -> PostgreSQL (Unix socket), $(nproc) cores"
t0=$(now)
out=$("$BIN/sdnsctl" zone import bench.mesh zone.txt "${api[@]}")
t1=$(now)
got=$(echo "$out" | sed -n 's/^zone bench.mesh: \([0-9]*\) records imported.*/\1/p')
[ "$got" = "$N" ] || { echo "import: expected $N records, got: $out" >&2; tail -5 sdnsd.log >&2; exit 1; }
awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; printf "import: %d records in %.2f s = %.0f records/s\n", n, s, n / s }'

# The issue's check: a broken line near the end names it and changes nothing.
serial() { "$BIN/sdnsctl" zone list "${api[@]}" --json | /usr/bin/python3 -c \
	'import json,sys; z=[z for z in json.load(sys.stdin)["zones"] if z["name"]=="bench.mesh"][0]; print(z["serial"], z["records"])'; }
before=$(serial)
t0=$(now)
if "$BIN/sdnsctl" zone import bench.mesh bad.txt "${api[@]}" >bad.out 2>bad.err; then
	echo "import: the file broken at line $BAD was accepted" >&2; exit 1
fi
t1=$(now)
grep -q "400 invalid_field: line $BAD: bad IPv4 address" bad.err \
	|| { echo "import: unexpected refusal: $(cat bad.err)" >&2; exit 1; }
after=$(serial)
[ "$before" = "$after" ] || { echo "import: zone changed by a refused import: $before -> $after" >&2; exit 1; }
awk -v a="$t0" -v b="$t1" -v l="$BAD" -v z="$after" 'BEGIN {
	printf "import: line %d broken: refused in %.2f s with \"line %d: ...\", zone unchanged (serial, records: %s)\n", l, b - a, l, z }'
