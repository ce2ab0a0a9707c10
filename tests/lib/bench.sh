#!/usr/bin/env bash
# `make bench`: figures, never pass/fail. Starts a local sdnsd on a free port
# with a throw-away PKI and the example zone, then runs sdnsctl bench.
#   BENCH_SECONDS (default 10), BENCH_CONNS (4), BENCH_STREAMS (32)
#   BENCH_MESH_CHANGES (500, three nodes), BENCH_MESH_NODES (8) and
#   BENCH_MESH8_CHANGES (1000) for the larger mesh
#   BENCH_ONLY=mesh|scale|import: only the mesh figures, only the zones
#   at scale (tests/lib/bench_scale.sh), only the import
#   (tests/lib/bench_import.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-4}
STREAMS=${BENCH_STREAMS:-32}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/sdns-bench-XXXXXX")
PID=
cleanup() { [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; rm -rf "$DIR"; }
trap cleanup EXIT
cd "$DIR"
"$BIN/sdnsctl" pki init --dir pki --mesh bench.mesh --node bench >/dev/null
# (not indented: the sections up to the meshes are skipped as one block)
if [ -z "${BENCH_ONLY:-}" ]; then
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/sdnsd" --doq-listen "127.0.0.1:$PORT" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --zone-file "$ROOT/server/dev/node-alpha.mesh.zone" \
	--log-level warn 2>sdnsd.log &
PID=$!
for _ in $(seq 50); do grep -q . sdnsd.log 2>/dev/null && break; sleep 0.1; done
sleep 0.5
echo "== DoQ authoritative, $(nproc) cores, load generator on the same machine"
echo "   sdnsctl bench --connections $CONNS --streams $STREAMS --duration $SECS www.node-alpha.mesh A"
"$BIN/sdnsctl" bench --server "127.0.0.1:$PORT" --server-name localhost --ca pki/ca.pem \
	--cert pki/admin.pem --key pki/admin.key --connections "$CONNS" --streams "$STREAMS" \
	--duration "$SECS" www.node-alpha.mesh A

# --- loopback stub: dnsperf over UDP and TCP, cached forwarded name and local
# zone name; the upstream is unbound over DNS-over-TLS (pinned) ------------
kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
	-keyout ubca.key -out ubca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=resolver.test \
	-keyout ub.key -out ub.csr 2>/dev/null
printf 'subjectAltName=DNS:resolver.test\n' >san.ext
openssl x509 -req -in ub.csr -CA ubca.pem -CAkey ubca.key -CAcreateserial -days 2 -extfile san.ext \
	-out ub.pem 2>/dev/null
UPIN=$(openssl pkey -in ub.key -pubout -outform der | openssl dgst -sha256 -binary | base64)
UTLS=$(freeport) STUBP=$(freeport)
cat >unbound.conf <<CONF
server:
  username: ""
  chroot: ""
  directory: "$DIR"
  use-syslog: no
  do-daemonize: no
  do-ip6: no
  interface: 127.0.0.1@$UTLS
  tls-port: $UTLS
  tls-service-key: "$DIR/ub.key"
  tls-service-pem: "$DIR/ub.pem"
  module-config: "iterator"
  local-zone: "test." static
  local-data: "a.test. 3600 IN A 192.0.2.1"
CONF
/usr/sbin/unbound -d -c unbound.conf 2>unbound.log &
UBPID=$!
"$BIN/sdnsd" --doq-listen "127.0.0.1:$PORT" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --zone-file "$ROOT/server/dev/node-alpha.mesh.zone" \
	--address 127.0.0.1 --port "$STUBP" --resolver-addr "127.0.0.1:$UTLS" \
	--resolver-fqdn resolver.test --resolver-pin "$UPIN" --resolver-ca "$DIR/ubca.pem" \
	--log-level warn 2>sdnsd-stub.log &
PID=$!
for _ in $(seq 50); do dig -p "$STUBP" @127.0.0.1 +short +tries=1 +time=1 a.test A 2>/dev/null | grep -q 192.0.2.1 && break; sleep 0.2; done
echo "a.test A" >cached.txt
echo "api.node-alpha.mesh A" >local.txt
THREADS=$(( $(nproc) > 4 ? 4 : $(nproc) ))
for proto in udp tcp; do
	for what in cached local; do
		printf '== stub %s, %s name (dnsperf -c 16 -T %s -l %s): ' "$proto" "$what" "$THREADS" "$SECS"
		dnsperf -s 127.0.0.1 -p "$STUBP" -m "$proto" -d "$what.txt" -c 16 -T "$THREADS" -q 512 \
			-l "$SECS" 2>&1 | awk '/Queries per second/ {print $4 " q/s"} /Queries lost/ {l=$3} END {if (l) print "   lost: " l}'
	done
done
echo "   (reference on this machine: Unbound ~107000 UDP q/s, PowerDNS ~89000)"
kill "$UBPID" 2>/dev/null; wait "$UBPID" 2>/dev/null || true

# --- store and API: writes/s with 8 clients, API change -> DoQ answer -----
kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
chmod 755 "$DIR"
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$DIR/pg" "$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')")
trap '"$ROOT/server/dev/pg.sh" stop "$DIR/pg" >/dev/null 2>&1; cleanup' EXIT
BIN=$BIN "$ROOT/server/dev/migrate.sh" "$CONNINFO" >migrate.log 2>&1
API=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$PORT" --api-listen "127.0.0.1:$API" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--migrations "$ROOT/migrations" --log-level warn 2>sdnsd-db.log &
PID=$!
api=(--api "https://localhost:$API" --ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key)
for _ in $(seq 100); do "$BIN/sdnsctl" zone list "${api[@]}" >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN/sdnsctl" zone create bench.mesh "${api[@]}" >/dev/null
echo
echo "== store + API (PostgreSQL on a Unix socket, same machine)"
echo "   sdnsctl bench-api --clients ${BENCH_API_CLIENTS:-8} --writes ${BENCH_API_WRITES:-2000} --changes ${BENCH_API_CHANGES:-1000} bench.mesh"
"$BIN/sdnsctl" bench-api "${api[@]}" --server "127.0.0.1:$PORT" --server-name localhost \
	--clients "${BENCH_API_CLIENTS:-8}" --writes "${BENCH_API_WRITES:-2000}" \
	--changes "${BENCH_API_CHANGES:-1000}" bench.mesh

fi # BENCH_ONLY

# --- meshes (server/dev/mesh.sh): three nodes, change on A -> answer on B
# and C, and queries/s for a cached remote name on B; then eight nodes (or
# BENCH_MESH_NODES), every node a peer of every other, 1,000 changes on A
# observed on the seven others: missed observations and p50/p99 each ------
[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }; PID=
chmod 755 "$DIR" # PostgreSQL runs as its own user under it
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = mesh ]; then
# mesh_ports N: four base ports, each with N consecutive free ports
mesh_ports() {
	/usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    try:
        for k in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, k); s.bind(("127.0.0.1", p)); s.close()
        return True
    except OSError:
        return False
out = []
while len(out) < 4:
    b = random.randrange(20000, 60000)
    if all(free(b + i) for i in range(n)) and all(abs(b - o) > n for o in out):
        out.append(b)
print(*out)
PY
}
# mesh_env N DIR: ports and settings for an N-node mesh under DIR
mesh_env() {
	read -r MDOQ MAPI MSTUB MPG < <(mesh_ports "$1")
	export SDNS_VAR="$2" SDNS_DOQ_PORT=$MDOQ SDNS_API_PORT=$MAPI SDNS_STUB_PORT=$MSTUB \
		SDNS_PG_PORT=$MPG SDNS_NODE_ARGS="--log-level warn" SDNS_MESH_NODES=$1
	MP=$2/pki
	mcert=(--ca "$MP/ca.pem" --cert "$MP/admin.pem" --key "$MP/admin.key")
}
# observers N: --observer for nodes 1 .. N-1
observers() {
	local i
	for ((i = 1; i < $1; i++)); do printf -- '--observer 127.0.0.1:%s ' $((MDOQ + i)); done
}
trap '"$ROOT/server/dev/mesh.sh" stop >/dev/null 2>&1; "$ROOT/server/dev/pg.sh" stop "$DIR/pg" >/dev/null 2>&1; cleanup' EXIT
mesh_env 3 "$DIR/mesh"
if BIN=$BIN "$ROOT/server/dev/mesh.sh" start >"$DIR/mesh-start.log" 2>&1; then
	echo
	echo "== three-node mesh on loopback (one PostgreSQL, three databases)"
	echo "   sdnsctl bench-mesh --changes ${BENCH_MESH_CHANGES:-500} node-alpha.mesh (POST on A, answers from B and C)"
	# shellcheck disable=SC2046
	"$BIN/sdnsctl" bench-mesh --api "https://localhost:$MAPI" "${mcert[@]}" --server-name localhost \
		$(observers 3) --changes "${BENCH_MESH_CHANGES:-500}" node-alpha.mesh || true
	echo "   cached remote name on B: sdnsctl bench --connections $CONNS --streams $STREAMS www.node-alpha.mesh A"
	"$BIN/sdnsctl" bench --server "127.0.0.1:$((MDOQ + 1))" --server-name localhost "${mcert[@]}" \
		--connections "$CONNS" --streams "$STREAMS" --duration "$SECS" www.node-alpha.mesh A || true
	"$ROOT/server/dev/mesh.sh" stop >/dev/null 2>&1
else
	echo "== three-node mesh: did not start"; tail -5 "$DIR/mesh-start.log"
fi

MN=${BENCH_MESH_NODES:-8}
mesh_env "$MN" "$DIR/mesh$MN"
echo
if BIN=$BIN "$ROOT/server/dev/mesh.sh" start >"$DIR/mesh$MN-start.log" 2>&1; then
	echo "== $MN-node mesh on loopback (one PostgreSQL, $MN databases, every node a peer of every other)"
	echo "   sdnsctl bench-mesh --changes ${BENCH_MESH8_CHANGES:-1000} node-alpha.mesh (POST on A, answers from the $((MN - 1)) others)"
	# shellcheck disable=SC2046
	"$BIN/sdnsctl" bench-mesh --api "https://localhost:$MAPI" "${mcert[@]}" --server-name localhost \
		$(observers "$MN") --changes "${BENCH_MESH8_CHANGES:-1000}" node-alpha.mesh || true
	warns=$(cat "$DIR/mesh$MN"/node-*.log | grep -o 'level=warn event=[a-z_]*' |
		sed 's/.*event=//' | sort | uniq -c | tr -s ' ' | tr '\n' ',' || true)
	echo "   warnings logged by the $MN nodes, start-up included: ${warns:-none}"
	"$ROOT/server/dev/mesh.sh" stop >/dev/null 2>&1
else
	echo "== $MN-node mesh: this machine could not start it"; tail -5 "$DIR/mesh$MN-start.log"
fi
fi # BENCH_ONLY mesh

# --- zone import of 1M records, zones at scale beside Knot DNS ------------
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = import ]; then
	echo
	BIN=$BIN "$ROOT/tests/lib/bench_import.sh" || echo "== import: failed"
fi
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = scale ]; then
	echo
	BIN=$BIN "$ROOT/tests/lib/bench_scale.sh" || echo "== zones at scale: failed"
fi
