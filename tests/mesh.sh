#!/usr/bin/env bash
# Three nodes on loopback (server/dev/mesh.sh: one PostgreSQL, three
# databases, three sdnsd with zone keys, peers registered by `sdnsctl peer
# add`): A's record answered by B and C with signatures that dnspython
# validates against A's bound zone key; an update on A seen on B and C long
# before the TTL; 50 changes on A, none missed by B or C; a peer signing
# with the wrong key gets SERVFAIL (EDE 6); A stopped: B answers from its
# cache until the TTL, then SERVFAIL (EDE 22); a revoked peer gets nothing
# from anyone; B keeps A's signed audit head, and A's chain cut in A's
# database is reported by B.
. "$(dirname "$0")/lib/shtest.sh"
t_setup mesh
cd "$T_DIR"
chmod 755 "$T_DIR"

# Three consecutive free UDP+TCP ports, three times (DoQ, API, stub).
base_ports() {
	$PY - <<'PY'
import random, socket
def free(p):
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", p)); s.close()
        return True
    except OSError:
        return False
out = []
while len(out) < 5:
    b = random.randrange(20000, 60000)
    if all(free(b + i) for i in range(3)) and all(abs(b - o) > 3 for o in out):
        out.append(b)
print(*out)
PY
}
read -r DOQ0 API0 STUB0 PGP DELTA < <(base_ports)
export SDNS_VAR="$T_DIR/mesh" SDNS_DOQ_PORT=$DOQ0 SDNS_API_PORT=$API0 \
	SDNS_STUB_PORT=$STUB0 SDNS_PG_PORT=$PGP SDNS_NODE_ARGS="--audit-head-interval 1"
M=$SDNS_VAR
mesh_stop() { "$ROOT/server/dev/mesh.sh" stop >/dev/null 2>&1; }
trap 'kill_delta; mesh_stop; t_cleanup' EXIT
kill_delta() { [ -f "$M/node-delta.pid" ] && kill "$(cat "$M/node-delta.pid")" 2>/dev/null; rm -f "$M/node-delta.pid"; }

t_ok "server/dev/mesh.sh starts three nodes and wires them" \
	env BIN="$BIN" "$ROOT/server/dev/mesh.sh" start
[ -f "$M/mesh.env" ] || { t_fail "mesh.env written"; t_done; exit 1; }
. "$M/mesh.env"
PKI=$M/pki
MESHCHECK="$ROOT/tests/lib/meshcheck.py"

api_() { # NODE-INDEX sdnsctl-args...: as admin against node i's API
	local i=$1; shift
	"$BIN/sdnsctl" "$@" --api "https://localhost:$((API0 + i))" --ca "$PKI/ca.pem" \
		--cert "$PKI/admin.pem" --key "$PKI/admin.key"
}
# q NODE-INDEX NAME [TYPE] [AS]: DoQ query with DO to node i, as AS (admin
# by default); wire in $T_DIR/last.bin; prints meshcheck's summary.
q() {
	local i=$1 name=$2 type=${3:-A} who=${4:-admin} cert key
	case "$who" in admin) cert=$PKI/admin.pem key=$PKI/admin.key ;;
	*) cert=$PKI/$who/node.pem key=$PKI/$who/node.key ;; esac
	rm -f last.bin
	"$BIN/sdnsctl" query --server "127.0.0.1:$((DOQ0 + i))" --server-name localhost \
		--ca "$PKI/ca.pem" --cert "$cert" --key "$key" --timeout-ms 3000 --dnssec \
		--wire-out last.bin "$name" "$type" >/dev/null 2>&1 || { echo "no-answer"; return 1; }
	$PY "$MESHCHECK" last.bin summary
}
# wait_q WANT NODE-INDEX NAME: poll until the summary is WANT (max 5 s)
wait_q() {
	local want=$1 got="" end=$((SECONDS + 6))
	shift
	while [ $SECONDS -lt $end ]; do
		got=$(q "$@") || true
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	echo "last: $got"
	return 1
}
pub_of() { cat "$PKI/$1/zone.pub"; }
validate_last() { $PY "$MESHCHECK" last.bin validate "$1" "$(pub_of "${1%%.*}")"; }

# --- wiring ---
t_match "B knows A and C as active peers with zone keys" \
	'node-alpha.*active.*node-gamma.*active|node-gamma.*active.*node-alpha.*active' \
	"$(api_ 1 peer list | tr '\n' ' ')"
out=$("$BIN/sdnsctl" peer add --api "https://localhost:$API0" --ca "$PKI/ca.pem" \
	--cert "$PKI/admin.pem" --key "$PKI/admin.key" \
	--peer-cert "$PKI/node-beta/node.pem" --endpoint 127.0.0.1:1 --zone-key "$PKI/node-beta/zone.pub" 2>&1)
t_match "adding a known peer again is a conflict" 'already registered|409|conflict' "$out"
t_eq "A answers its own name" "NOERROR 10.0.0.1" "$(q 0 www.node-alpha.mesh)"

# --- A's record on B and C, validated by dnspython ---
for i in 1 2; do
	n=$([ $i = 1 ] && echo B || echo C)
	t_ok "$n answers A's www.node-alpha.mesh" wait_q "NOERROR 10.0.0.1" $i www.node-alpha.mesh
	q $i www.node-alpha.mesh >/dev/null
	t_match "$n's answer validates (dnspython) against A's bound zone key" '^secure' \
		"$(validate_last node-alpha.mesh)"
done
t_match "C's plain-DNS stub (TCP) answers it, validated by dnspython" '^NOERROR 10.0.0.1: secure' \
	"$($PY "$MESHCHECK" "tcp:$((STUB0 + 2))" www.node-alpha.mesh node-alpha.mesh "$(pub_of node-alpha)" 2>&1)"
q 1 nothere.node-alpha.mesh >/dev/null
t_match "B relays A's signed denial (validated)" '^secure' "$(validate_last node-alpha.mesh)"
# authority of last.bin: "TYPE ..." of each RRset (the serial of a SOA)
authority_last() {
	$PY -c 'import sys, dns.message, dns.rdatatype as T
m = dns.message.from_wire(open(sys.argv[1], "rb").read())
print(" ".join(dns.rdatatype.to_text(r.rdtype) + ("=%d" % r[0].serial if r.rdtype == T.SOA else "") for r in m.authority))' last.bin
}
q 0 www.node-alpha.mesh >/dev/null
t_match "A's positive answer carries its signed SOA (the serial copies are judged by)" \
	'^SOA=[0-9]+ RRSIG$' "$(authority_last)"
q 1 www.node-alpha.mesh >/dev/null
t_match "B's relayed answer too, validated" '^SOA=[0-9]+ RRSIG$' "$(authority_last)"
t_ok "sdnsctl query --validate accepts B's answer with A's key" \
	"$BIN/sdnsctl" query --server "127.0.0.1:$((DOQ0 + 1))" --server-name localhost \
	--ca "$PKI/ca.pem" --cert "$PKI/admin.pem" --key "$PKI/admin.key" \
	--dnssec --validate --zone-key-pub "$PKI/node-alpha/zone.pub" www.node-alpha.mesh

# --- update on A, seen on B and C before the TTL (3600) ---
id=$(api_ 0 record list node-alpha.mesh --json | $PY -c 'import json,sys
d=json.load(sys.stdin); r=d["records"] if isinstance(d,dict) else d
print([x["id"] for x in r if x["name"].startswith("www.")][0])')
t_ok "A updates www.node-alpha.mesh" api_ 0 record update node-alpha.mesh "$id" \
	www.node-alpha.mesh A 10.0.0.42
t_ok "B answers the update before the TTL" wait_q "NOERROR 10.0.0.42" 1 www.node-alpha.mesh
t_ok "C answers the update before the TTL" wait_q "NOERROR 10.0.0.42" 2 www.node-alpha.mesh
q 0 node-alpha.mesh SOA >/dev/null
serial=$($PY -c 'import sys, dns.message
m = dns.message.from_wire(open(sys.argv[1], "rb").read())
print([r for r in m.answer if r.rdtype == 6][0][0].serial)' last.bin)
sleep 1.5 # the marks are written within a second
t_match "B keeps A's newest signed serial ($serial) in its state file" \
	"^node-alpha\.mesh\. [0-9a-f]{64} $serial\$" "$(cat "$PKI/node-beta/mesh-state" 2>&1)"

# --- no change missed: 50 new names on A, each polled on B and C until
# seen (sdnsctl bench-mesh exits 1 when any observation gives up) ---
out=$("$BIN/sdnsctl" bench-mesh --api "https://localhost:$API0" --ca "$PKI/ca.pem" \
	--cert "$PKI/admin.pem" --key "$PKI/admin.key" --server-name localhost \
	--observer "127.0.0.1:$((DOQ0 + 1))" --observer "127.0.0.1:$((DOQ0 + 2))" \
	--changes 50 node-alpha.mesh 2>&1) && rc=0 || rc=$?
t_eq "50 changes on A: bench-mesh exits 0" "0" "$rc"
t_match "no observation missed on B or C" ' 0 of 100 observations missed' "$out"
echo "$out" | grep -E 'every|missed' | sed 's/^/       /'

# --- audit heads: B fetches A's signed head over DoQ and keeps it in its
# state dir; A's chain cut behind A's back (as the table owner) makes A
# publish a shorter head, which B refuses and reports ---
psql_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql "$@"; else psql "$@"; fi; }
# the tables' owner (an insider): sdnsd itself runs as the runtime role
A_DB="${MESH_CONNINFO/dbname=sdns/dbname=sdns_alpha} user=sdns_owner"
A_MAX=$(psql_as "$A_DB" -Atqc "SELECT max(id) FROM audit")
peer_head() { # NODE-INDEX PEER: the head id it keeps of PEER
	api_ "$1" audit peers --json 2>/dev/null | $PY -c 'import json,sys
for p in json.load(sys.stdin)["peers"]:
    if p["name"] == sys.argv[1]: print(p["head"]["id"])' "$2"
}
wait_peer_head() { for _ in $(seq 60); do [ "$(peer_head "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done; peer_head "$1" "$2"; return 1; }
t_ok "B keeps A's newest audit head" wait_peer_head 1 node-alpha "$A_MAX"
t_ok "so does C" wait_peer_head 2 node-alpha "$A_MAX"
t_match "B's state file holds it" '"name": "node-alpha"' "$(cat "$PKI/node-beta/audit-peers.json")"
t_ok "B's peers are all well" api_ 1 audit peers
psql_as "$A_DB" -qc "ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit WHERE id >= $((A_MAX - 2)); ALTER TABLE audit ENABLE TRIGGER USER" >/dev/null
t_ok "A reports its own chain cut" t_wait_log "$M/node-alpha.log" 'event=audit_chain_bad .*the chain was cut' 10
t_ok "B reports A's head going back" t_wait_log "$M/node-beta.log" \
	"event=audit_peer_head_refused peer=node-alpha kind=shorter got_id=$((A_MAX - 3)) " 10
out=$(api_ 1 audit peers --json) && rc=0 || rc=$?
t_eq "sdnsctl audit peers on B exits 1" 1 "$rc"
t_eq "GET /audit/peers keeps the longer head and names the problem" "$A_MAX shorter $((A_MAX - 3))" \
	"$(echo "$out" | $PY -c 'import json,sys
p = [p for p in json.load(sys.stdin)["peers"] if p["name"] == "node-alpha"][0]
print(p["head"]["id"], p["last_problem"], p["refused_head"]["id"])')"
t_match "B's /metrics counts it" 'sdns_audit_peer_head_problems_total\{kind="shorter"\} [1-9]' \
	"$(curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/admin.pem" --key "$PKI/admin.key" "https://localhost:$((API0 + 1))/metrics")"

# --- a peer signing with the wrong key: node-delta, bound on B to one key,
# signing with another ---
"$BIN/sdnsctl" pki issue --dir "$PKI" --role node --name node-delta --san localhost \
	--san 127.0.0.1 --out "$PKI/node-delta" >/dev/null
mkdir -p "$PKI/delta-real" "$PKI/delta-bound"
"$BIN/sdnsctl" pki zonekey --out "$PKI/delta-real" >/dev/null
"$BIN/sdnsctl" pki zonekey --out "$PKI/delta-bound" >/dev/null
"$ROOT/server/dev/pg.sh" createdb "$M/pg" sdns_delta
"$ROOT/server/dev/migrate.sh" "${MESH_CONNINFO/dbname=sdns/dbname=sdns_delta}" >"$M/migrate-delta.log" 2>&1
"$BIN/sdnsd" --db "${MESH_CONNINFO/dbname=sdns/dbname=sdns_delta}" --doq-listen "127.0.0.1:$DELTA" \
	--api-listen "127.0.0.1:$((DELTA + 1))" --tls-cert "$PKI/node-delta.pem" \
	--tls-key "$PKI/node-delta.key" --tls-ca "$PKI/ca.pem" --mesh mesh \
	--zone-key "$PKI/delta-real/zone.key" --migrations "$ROOT/migrations" >"$M/node-delta.log" 2>&1 &
echo $! >"$M/node-delta.pid"
for _ in $(seq 100); do "$BIN/sdnsctl" zone list --api "https://localhost:$((DELTA + 1))" --ca "$PKI/ca.pem" \
	--cert "$PKI/admin.pem" --key "$PKI/admin.key" >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN/sdnsctl" zone create node-delta.mesh --api "https://localhost:$((DELTA + 1))" --ca "$PKI/ca.pem" \
	--cert "$PKI/admin.pem" --key "$PKI/admin.key" >/dev/null
"$BIN/sdnsctl" record add node-delta.mesh www.node-delta.mesh A 10.9.9.9 \
	--api "https://localhost:$((DELTA + 1))" --ca "$PKI/ca.pem" --cert "$PKI/admin.pem" --key "$PKI/admin.key" >/dev/null
t_ok "B registers node-delta with a zone key delta does not sign with" \
	"$BIN/sdnsctl" peer add --api "https://localhost:$((API0 + 1))" --ca "$PKI/ca.pem" \
	--cert "$PKI/admin.pem" --key "$PKI/admin.key" --peer-cert "$PKI/node-delta.pem" \
	--endpoint "127.0.0.1:$DELTA" --zone-key "$PKI/delta-bound/zone.pub"
t_ok "the forged answer is rejected: SERVFAIL with EDE 6 (DNSSEC bogus)" \
	wait_q "SERVFAIL ede=6" 1 www.node-delta.mesh
kill_delta

# --- a revoked peer gets nothing from anyone ---
revoke_on() { # node index, peer name
	local pid
	pid=$(api_ "$1" peer list --json | $PY -c 'import json,sys
print([p["id"] for p in json.load(sys.stdin)["peers"] if p["name"]==sys.argv[1]][0])' "$2")
	api_ "$1" peer revoke "$pid" --reason test >/dev/null
}
api_ 0 record add node-alpha.mesh late.node-alpha.mesh A 10.0.0.77 >/dev/null
revoke_on 0 node-gamma
revoke_on 1 node-gamma
sleep 1 # the revoked set reaches each daemon through its store listener
t_eq "C's own certificate is refused by A" "no-answer" "$(q 0 www.node-alpha.mesh A node-gamma)"
t_eq "C's own certificate is refused by B" "no-answer" "$(q 1 www.node-alpha.mesh A node-gamma)"
t_match "C cannot resolve A's new name through the mesh" '^SERVFAIL' "$(q 2 late.node-alpha.mesh)"

# --- A stopped: cached until the TTL, then SERVFAIL EDE 22 ---
api_ 0 record add node-alpha.mesh short.node-alpha.mesh A 10.0.0.5 --ttl 3 >/dev/null
t_ok "B answers short.node-alpha.mesh (TTL 3)" wait_q "NOERROR 10.0.0.5" 1 short.node-alpha.mesh
kill "$ALPHA_PID"
for _ in $(seq 50); do kill -0 "$ALPHA_PID" 2>/dev/null || break; sleep 0.1; done
t_eq "A stopped: B answers from its cache" "NOERROR 10.0.0.5" "$(q 1 short.node-alpha.mesh)"
sleep 4
t_eq "after the TTL: SERVFAIL with EDE 22 (no reachable authority)" "SERVFAIL ede=22" \
	"$(q 1 short.node-alpha.mesh)"
t_done
