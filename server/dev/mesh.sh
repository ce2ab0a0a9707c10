#!/usr/bin/env bash
# `make mesh`: a mesh of SDNS_MESH_NODES nodes (default 3, 2 to 8) on
# loopback for people to try.
#   mesh.sh [run]   start everything, print what to try, wait; Ctrl-C stops
#   mesh.sh start   start everything and return (tests/mesh.sh, bench)
#   mesh.sh stop    stop every sdnsd of the mesh and PostgreSQL
# One PostgreSQL cluster (server/dev/pg.sh) with one database per node, a
# PKI for mesh "mesh" (CA, node-alpha, node-beta, node-gamma, then
# node-delta ... node-theta, admin), one zone key per node, one sdnsd per
# node (each --zone-key, its own database), each node registering every
# other with `sdnsctl peer add`, and on each node its own zone <node>.mesh
# with www.<node>.mesh. Under $SDNS_VAR (var/mesh).
# Ports: node i (0 .. N-1) uses DoQ SDNS_DOQ_PORT+i (8853), API
# SDNS_API_PORT+i (8443), stub SDNS_STUB_PORT+i (5353); PostgreSQL
# SDNS_PG_PORT (5433). SDNS_NODE_ARGS: more sdnsd arguments for every node.
# Delete the directory to start over; `stop` stops the nodes recorded in
# mesh.env, whatever SDNS_MESH_NODES says now.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
VAR=${SDNS_VAR:-var/mesh}
MESH=mesh
ALL_NODES=(node-alpha node-beta node-gamma node-delta node-epsilon node-zeta
	node-eta node-theta)
N=${SDNS_MESH_NODES:-3}
case "$N" in [2-8]) ;; *) echo "mesh.sh: SDNS_MESH_NODES is 2..8" >&2; exit 2 ;; esac
NODES=("${ALL_NODES[@]:0:$N}")
DOQ0=${SDNS_DOQ_PORT:-8853}
API0=${SDNS_API_PORT:-8443}
STUB0=${SDNS_STUB_PORT:-5353}
PGPORT=${SDNS_PG_PORT:-5433}
cmd=${1:-run}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
db_of() { echo "sdns_${1#node-}"; }
api_of() { echo "https://localhost:$((API0 + $1))"; }
admin=(--ca "$VAR/pki/ca.pem" --cert "$VAR/pki/admin.pem" --key "$VAR/pki/admin.key")

stop_all() {
	for n in "${ALL_NODES[@]}"; do
		local pf="$VAR/$n.pid"
		[ -f "$pf" ] || continue
		local pid
		pid=$(cat "$pf")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		rm -f "$pf"
	done
	"$ROOT/server/dev/pg.sh" stop "$VAR/pg" || true
}

# A node missing from an existing PKI (a larger SDNS_MESH_NODES than the
# last run) gets its certificate and zone key now.
make_pki() {
	[ -f "$VAR/pki/ca.key" ] ||
		"$BIN/sdnsctl" pki init --dir "$VAR/pki" --mesh "$MESH" --node node-alpha \
			--san localhost --san 127.0.0.1 --san ::1 >/dev/null
	for n in "${NODES[@]}"; do
		[ -f "$VAR/pki/$n/zone.key" ] && continue
		mkdir -p "$VAR/pki/$n"
		if [ "$n" = node-alpha ]; then
			cp "$VAR/pki/node.pem" "$VAR/pki/node.key" "$VAR/pki/$n/"
		else
			"$BIN/sdnsctl" pki issue --dir "$VAR/pki" --role node --name "$n" \
				--san localhost --san 127.0.0.1 --san ::1 --out "$VAR/pki/$n/node" >/dev/null
		fi
		"$BIN/sdnsctl" pki zonekey --out "$VAR/pki/$n" >/dev/null
	done
}

start_db() {
	chmod 755 "$VAR"
	CONNINFO=$("$ROOT/server/dev/pg.sh" start "$VAR/pg" "$PGPORT")
	# each node's database owned by sdns_owner, which migrates it; the
	# nodes run as sdns_app (README "Database roles")
	for n in "${NODES[@]}"; do
		local db
		db=$(db_of "$n")
		"$ROOT/server/dev/pg.sh" createdb "$VAR/pg" "$db"
		BIN=$BIN "$ROOT/server/dev/migrate.sh" "${CONNINFO/dbname=sdns/dbname=$db}" >>"$VAR/migrate.log" 2>&1
	done
}

# start_node I: sdnsd for node I in the background, pid in $VAR/NODE.pid
start_node() {
	local i=$1 n=${NODES[$1]}
	local ci=${CONNINFO/dbname=sdns/dbname=$(db_of "$n")}
	# shellcheck disable=SC2086
	"$BIN/sdnsd" --db "$ci" --doq-listen "127.0.0.1:$((DOQ0 + i))" \
		--api-listen "127.0.0.1:$((API0 + i))" --public-url "$(api_of "$i")" \
		--stub-listen "127.0.0.1:$((STUB0 + i))" \
		--tls-cert "$VAR/pki/$n/node.pem" --tls-key "$VAR/pki/$n/node.key" \
		--tls-ca "$VAR/pki/ca.pem" --mesh "$MESH" \
		--zone-key "$VAR/pki/$n/zone.key" --migrations "$ROOT/migrations" \
		${SDNS_NODE_ARGS:-} >>"$VAR/$n.log" 2>&1 &
	echo $! >"$VAR/$n.pid"
}

wait_api() {
	local i=$1 n=${NODES[$1]}
	for _ in $(seq 150); do
		"$BIN/sdnsctl" zone list --api "$(api_of "$i")" "${admin[@]}" >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$VAR/$n.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "mesh.sh: $n did not come up; its log:" >&2
	tail -20 "$VAR/$n.log" >&2
	return 1
}

# Each node learns every other (certificate, DoQ endpoint, zone key) and
# gets its own zone. Re-running finds them there (409) and moves on.
wire_node() {
	local i=$1 n=${NODES[$1]} api
	api=$(api_of "$i")
	for ((j = 0; j < N; j++)); do
		[ "$j" = "$i" ] && continue
		local p=${NODES[$j]} out
		if ! out=$("$BIN/sdnsctl" peer add --api "$api" --ca "$VAR/pki/ca.pem" \
			--cert "$VAR/pki/admin.pem" --key "$VAR/pki/admin.key" \
			--peer-cert "$VAR/pki/$p/node.pem" --endpoint "127.0.0.1:$((DOQ0 + j))" \
			--zone-key "$VAR/pki/$p/zone.pub" 2>&1); then
			grep -q 'already registered' <<<"$out" || { echo "$out" >&2; return 1; }
		fi
	done
	if ! "$BIN/sdnsctl" zone list --api "$api" "${admin[@]}" | grep -q "$n.$MESH"; then
		"$BIN/sdnsctl" zone create "$n.$MESH" --api "$api" "${admin[@]}" >/dev/null
		"$BIN/sdnsctl" record add "$n.$MESH" "www.$n.$MESH" A "10.0.0.$((i + 1))" \
			--api "$api" "${admin[@]}" >/dev/null
	fi
}

start_all() {
	make_pki
	start_db
	for ((i = 0; i < N; i++)); do start_node "$i"; done
	for ((i = 0; i < N; i++)); do wait_api "$i"; done
	for ((i = 0; i < N; i++)); do wire_node "$i"; done
	{
		echo "MESH_VAR=$VAR"
		echo "MESH_CONNINFO='$CONNINFO'"
		echo "MESH_NODES=$N"
		for ((i = 0; i < N; i++)); do
			local u=${NODES[$i]#node-}
			u=${u^^}
			echo "${u}_DOQ=$((DOQ0 + i)) ${u}_API=$((API0 + i)) ${u}_STUB=$((STUB0 + i))"
			echo "${u}_PID=$(cat "$VAR/${NODES[$i]}.pid")"
		done
	} >"$VAR/mesh.env"
}

print_help() {
	cat <<TXT

secure_dns $N-node mesh (mesh "$MESH") on loopback
  node          DoQ              API                        stub
$(for ((i = 0; i < N; i++)); do printf '  %-13s 127.0.0.1:%-6s %-26s 127.0.0.1:%s\n' "${NODES[$i]}" $((DOQ0 + i)) "$(api_of "$i")" $((STUB0 + i)); done)
  PostgreSQL  $CONNINFO (databases $(for n in "${NODES[@]}"; do printf '%s ' "$(db_of "$n")"; done))
  PKI         $VAR/pki (ca.pem, admin.pem/.key, NODE/node.pem, NODE/zone.key)
  Logs        $VAR/NODE.log

Try:
  # node-alpha's name, answered by node-beta from the mesh (verified):
  $BIN/sdnsctl query --server 127.0.0.1:$((DOQ0 + 1)) --server-name localhost \\
      --ca $VAR/pki/ca.pem --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key \\
      --dnssec --validate --zone-key-pub $VAR/pki/node-alpha/zone.pub www.node-alpha.mesh
  dig @127.0.0.1 -p $((STUB0 + N - 1)) +dnssec www.node-alpha.mesh
  # change it on node-alpha; every other node follows at once:
  $BIN/sdnsctl record add node-alpha.mesh new.node-alpha.mesh A 10.0.0.99 \\
      --api $(api_of 0) --ca $VAR/pki/ca.pem --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key
  $BIN/sdnsctl peer list --api $(api_of 1) --ca $VAR/pki/ca.pem --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key
TXT
}

case "$cmd" in
start)
	start_all || { stop_all; exit 1; }
	print_help
	;;
stop)
	stop_all
	;;
run)
	trap stop_all EXIT
	trap 'exit 0' INT TERM
	start_all
	print_help
	echo "(Ctrl-C stops the mesh)"
	wait
	;;
*)
	echo "usage: mesh.sh [run|start|stop]" >&2
	exit 2
	;;
esac
