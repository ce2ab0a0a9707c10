#!/usr/bin/env bash
# Several sdnsd on one database, started together, against a primary with a
# synchronous streaming standby, through a multi-host conninfo
# (target_session_attrs=read-write): the concurrent --migrate runs and the
# first writes of nodes started at the same moment all succeed (a 503 with
# Retry-After is retried, never a 500); then, under a write load through the
# API, the primary crashes (immediate stop) and the standby is promoted: the
# nodes answer 503 (with Retry-After) and /healthz "degraded" during the
# switch, come back on the new primary by themselves, and every write
# acknowledged with 201 is in the new primary and answered by every node;
# a database that turns read-only answers 503, not 500.
# Prints the failover gap (the longest wait between two 201s of a writer
# across the switch) in ms.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_ha
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg*/
T0=$(date +%s.%N)
NODES=${HA_NODES:-3}

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
P1=$(t_free_port); P2=$(t_free_port)
PG="$ROOT/server/dev/pg.sh"
"$PG" start "$T_DIR/pga" "$P1" >/dev/null
trap '"$PG" stop "$T_DIR/pga" >/dev/null 2>&1; "$PG" stop "$T_DIR/pgb" >/dev/null 2>&1; t_cleanup' EXIT
"$PG" standby "$T_DIR/pgb" "$T_DIR/pga" "$P2" >/dev/null
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_on() { as_pg psql "$("$PG" conninfo "$T_DIR/$1" super)" -Atqc "$2"; }
# Synchronous: a commit returns once the standby has flushed it. Set after
# the base backup, so the standby (promoted alone) does not wait for one.
psql_on pga "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
psql_on pga "SELECT pg_reload_conf()" >/dev/null
for i in $(seq 50); do
	[ "$(psql_on pga "SELECT sync_state FROM pg_stat_replication")" = sync ] && break
	sleep 0.1
done
t_eq "the standby streams synchronously" sync "$(psql_on pga "SELECT sync_state FROM pg_stat_replication")"

HOSTS="host=$T_DIR/pga/sock,$T_DIR/pgb/sock port=$P1,$P2 dbname=sdns target_session_attrs=read-write"
APP="$HOSTS user=sdns_app"
OWNER="$HOSTS user=sdns_owner"

# Each node's --migrate at once on the fresh database: one applies, the
# others find it done; none fails.
for n in $(seq "$NODES"); do
	"$BIN/sdnsd" --migrate --db "$OWNER" --db-runtime-role sdns_app \
		--migrations "$ROOT/migrations" >"migrate$n.log" 2>&1 &
	MPIDS[n]=$!
done
mfail=0
for n in $(seq "$NODES"); do wait "${MPIDS[n]}" || mfail=$((mfail + 1)); done
t_eq "$NODES concurrent sdnsd --migrate on one fresh database: all exit 0" 0 "$mfail"
t_eq "the migrations are applied once" "$(ls "$ROOT"/migrations/*.sql | wc -l)" \
	"$(psql_on pga "SELECT count(*) FROM schema_migrations")"

# req PORT METHOD PATH [BODY]: prints "STATUS RETRY-AFTER BODY"
req() {
	local h="hdr.$1.$$.$RANDOM" b="body.$1.$$.$RANDOM"
	curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key \
		-X "$2" ${4:+-H 'Content-Type: application/json' --data "$4"} \
		-D "$h" -o "$b" -w '%{http_code}' "https://localhost:$1$3" 2>/dev/null || true
	local ra; ra=$(tr -d '\r' <"$h" 2>/dev/null | sed -n 's/^[Rr]etry-[Aa]fter: //p')
	echo " ${ra:--} $(cat "$b" 2>/dev/null)"
	rm -f "$h" "$b"
}
# first_write N: as soon as node N's API listens, create its zone; a 503
# must carry Retry-After and is retried (sooner, to hit the race).
first_write() {
	local n=$1 api=${API[$1]} i r
	for i in $(seq 1000); do
		(exec 3<>"/dev/tcp/127.0.0.1/$api") 2>/dev/null && break
		sleep 0.005
	done
	for i in $(seq 500); do
		r=$(req "$api" POST "/zones/node$n.mesh")
		case "${r%% *}" in
		201) echo "201"; return ;;
		503) [ "$(echo "$r" | cut -d' ' -f2)" != - ] || { echo "503 without Retry-After: $r"; return; }
		     echo "$r" >>"first503.$n"; sleep 0.02 ;;
		*) echo "$r"; return ;;
		esac
	done
	echo "never 201: $r"
}

# Every node's first write at the same moment: what was not 201, per node.
first_writes() {
	local n bad= FW=()
	for n in $(seq "$NODES"); do first_write "$n" >"first.$n" & FW[n]=$!; done
	for n in $(seq "$NODES"); do
		wait "${FW[n]}"
		[ "$(cat "first.$n")" = 201 ] || bad+="node $n: $(cat "first.$n") "
	done
	echo "$bad"
}

# The single-role way (--db-allow-owner: each node migrates at start), all
# at once on another fresh database: the migrations race, the first writes
# must not see it.
"$PG" createdb "$T_DIR/pga" fresh
FRESH="${OWNER/dbname=sdns/dbname=fresh}"
for n in $(seq "$NODES"); do
	DOQ[n]=$(t_free_port); API[n]=$(t_free_port); mkdir -p "fstate$n"
done
FPIDS=()
for n in $(seq "$NODES"); do
	t_bg "fresh$n" "$BIN/sdnsd" --db "$FRESH" --db-allow-owner --doq-listen "127.0.0.1:${DOQ[n]}" \
		--api-listen "127.0.0.1:${API[n]}" --tls-cert pki/node.pem --tls-key pki/node.key \
		--tls-ca pki/ca.pem --audit-key pki/audit.key --state-dir "fstate$n" --no-mesh \
		--migrations "$ROOT/migrations"
	FPIDS+=($!)
done
bad=$(first_writes)
t_eq "$NODES sdnsd migrating one fresh database at once: every first write 201" "" "$bad"
t_eq "the migrations are applied once there too" "$(ls "$ROOT"/migrations/*.sql | wc -l)" \
	"$(as_pg psql "$FRESH" -Atqc "SELECT count(*) FROM schema_migrations")"
kill "${FPIDS[@]}"; wait "${FPIDS[@]}" 2>/dev/null
echo "  first writes on the migrating nodes: $(cat first503.* 2>/dev/null | wc -l) 503s (all with Retry-After) before the 201s"
rm -f first503.*

# All nodes at the same moment, on the same database, as the runtime role.
for n in $(seq "$NODES"); do
	DOQ[n]=$(t_free_port); API[n]=$(t_free_port); STUB[n]=$(t_free_port)
	mkdir -p "state$n"
done
for n in $(seq "$NODES"); do
	t_bg "sdnsd$n" "$BIN/sdnsd" --db "$APP" --doq-listen "127.0.0.1:${DOQ[n]}" \
		--api-listen "127.0.0.1:${API[n]}" --stub-listen "127.0.0.1:${STUB[n]}" \
		--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
		--audit-key pki/audit.key --state-dir "state$n" --no-mesh \
		--migrations "$ROOT/migrations" --log-level debug
done
bad=$(first_writes)
t_eq "$NODES sdnsd started together: every first write 201 (no 500; 503 with Retry-After retried)" "" "$bad"
echo "  first writes: $(cat first503.* 2>/dev/null | wc -l) 503s (all with Retry-After) before the 201s"
for n in $(seq "$NODES"); do
	t_ok "node $n is ready" t_wait_log "sdnsd$n.log" 'event=api_ready' 10
done

# stub_has PORT NAMES-FILE: exit 0 when every name answers an A record.
stub_missing() {
	$PY - "$1" "$2" <<'EOF'
import sys, dns.message, dns.query, dns.rcode
port, f = int(sys.argv[1]), sys.argv[2]
missing = []
for name in open(f).read().split():
    q = dns.message.make_query(name, "A")
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
        ok = r.rcode() == dns.rcode.NOERROR and any(rr.rdtype == 1 for rr in r.answer)
    except Exception:
        ok = False
    if not ok:
        missing.append(name)
print(len(missing), " ".join(missing[:5]))
EOF
}
# wait_stubs NAMES-FILE: every node answers every name (max 10 s)
wait_stubs() {
	local n i out
	for n in $(seq "$NODES"); do
		for i in $(seq 50); do
			out=$(stub_missing "${STUB[n]}" "$1")
			[ "${out%% *}" = 0 ] && break
			sleep 0.2
		done
		echo "node$n:${out%% *}"
	done | tr '\n' ' '
}

# The write load, then the primary crashes and the standby takes over.
ARGS=()
for n in $(seq "$NODES"); do ARGS+=("${API[n]}:node$n.mesh"); done
$PY "$ROOT/tests/lib/haload.py" pki/ca.pem pki/admin.pem pki/admin.key stop "${ARGS[@]}" >load.json 2>load.err &
LOAD=$!
T_PIDS+=("$LOAD")
sleep 2
T_KILL=$(date +%s.%N)
"$PG" kill "$T_DIR/pga"
T_DOWN=$(date +%s.%N)
"$PG" promote "$T_DIR/pgb"
T_PROMOTED=$(date +%s.%N)
# Until every node says ok again (they find the new primary themselves).
healthy=0
for i in $(seq 200); do
	healthy=0
	for n in $(seq "$NODES"); do
		[ "$(req "${API[n]}" GET /healthz | cut -d' ' -f1)" = 200 ] && healthy=$((healthy + 1))
	done
	[ "$healthy" = "$NODES" ] && break
	sleep 0.1
done
T_HEALTHY=$(date +%s.%N)
sleep 1   # a second of writes on the new primary
touch stop
wait "$LOAD"
t_eq "every node reports healthy on the new primary by itself" "$NODES" "$healthy"

report=$($PY - "$T_KILL" "$T_PROMOTED" <<'EOF'
import json, sys
kill, promoted = float(sys.argv[1]), float(sys.argv[2])
d = json.load(open("load.json"))
acked, gaps, bad, after, before = [], [], [], 0, 0
for port, w in sorted(d["writers"].items()):
    acked += w["acked"]
    t = w["ok_times"]
    pre = [x for x in t if x < kill]
    post = [x for x in t if x >= kill]
    before += len(pre)
    after += len([x for x in t if x >= promoted])
    # The writer's view: the longest wait between two 201s from the stop
    # on (the last 201 before it may come while the stop is under way).
    span = pre[-1:] + post
    gaps.append(max((b - a) * 1000 for a, b in zip(span, span[1:]))
                if len(span) > 1 else float("inf"))
    if w["errors"]:
        bad.append("%s: %s" % (port, w["errors"][:3]))
    if w["no_retry_after"]:
        bad.append("%s: %d 503s without Retry-After" % (port, w["no_retry_after"]))
    if not post:
        bad.append("%s: no 201 after the failover" % port)
open("acked.txt", "w").write("\n".join(acked) + "\n")
deg = sum(1 for h in d["healthz"].values() for _, s in h if s.startswith("503"))
st = {}
for w in d["writers"].values():
    for k, v in w["status"].items():
        st[k] = st.get(k, 0) + v
lost = sum(w["lost"] for w in d["writers"].values())
print("bad=%s" % ("; ".join(bad) or "none"))
print("degraded=%d" % deg)
print("gap_ms=%s" % " ".join("%.0f" % g for g in gaps))
print("gap_max_ms=%.0f" % max(gaps))
print("acked=%d before=%d after_promote=%d statuses=%s lost_conns=%d" %
      (len(acked), before, after, json.dumps(st, sort_keys=True), lost))
EOF
)
echo "$report" | sed 's/^/  /'
t_eq "writes under failover: no 500, every 503 with Retry-After, each node writes again" "bad=none" "$(echo "$report" | grep '^bad=')"
t_match "the nodes said 503 on /healthz during the switch" '^degraded=[1-9]' "$(echo "$report" | grep '^degraded=')"
t_eq "every acknowledged write is a row on the new primary" "" \
	"$(comm -23 <(sort -u acked.txt) <(psql_on pgb "SELECT name FROM records WHERE type = 1" | sort -u) | head -5)"
want=$(for n in $(seq "$NODES"); do printf 'node%s:0 ' "$n"; done)
t_eq "and answered by every node's stub" "$want" "$(wait_stubs acked.txt)"
# Notifications come from the new primary: a change made through node 1 is
# answered by the last node well before its 2 s poll would find it.
r=$(req "${API[1]}" POST /zones/node1.mesh/records '{"name":"after.node1.mesh","type":"A","value":"10.9.9.9","ttl":60}')
t_eq "a write after the failover: 201" 201 "${r%% *}"
ms=$($PY - "${STUB[$NODES]}" <<'EOF'
import sys, time, dns.message, dns.query
t0 = time.monotonic()
while time.monotonic() - t0 < 5:
    r = dns.query.udp(dns.message.make_query("after.node1.mesh", "A"), "127.0.0.1",
                      port=int(sys.argv[1]), timeout=1)
    if r.answer:
        break
    time.sleep(0.005)
print(int((time.monotonic() - t0) * 1000))
EOF
)
echo "  a change through node 1 answered by node $NODES after ${ms} ms"
t_ok "LISTEN is back on the new primary (answered within 500 ms)" test "$ms" -lt 500
for n in $(seq "$NODES"); do
	t_eq "node $n: every LISTEN connection is back after the failover" \
		"$(awk '/event=db_down/{exit} /event=db_listening/{n++} END{print n+0}' "sdnsd$n.log")" \
		"$(awk '/event=db_down/{d=1} d && /event=db_listening/{n++} END{print n+0}' "sdnsd$n.log")"
done
# A database that stops taking writes (an old primary back as a standby
# behind a conninfo without target_session_attrs, or a moved address):
# "read-only transaction" is a 503 to retry, not a 500.
psql_on pgb "ALTER SYSTEM SET default_transaction_read_only = on" >/dev/null
psql_on pgb "SELECT pg_reload_conf()" >/dev/null
sleep 0.2
r=$(req "${API[2]}" POST /zones/node2.mesh/records '{"name":"ro.node2.mesh","type":"A","value":"10.9.9.8","ttl":60}')
t_match "a write to a read-only database: 503 unavailable with Retry-After" '^503 1 \{"error":\{"code":"unavailable"' "$r"
psql_on pgb "ALTER SYSTEM RESET default_transaction_read_only" >/dev/null
psql_on pgb "SELECT pg_reload_conf()" >/dev/null
sleep 0.2
t_eq "and once it takes writes again: 201" 201 "$(req "${API[2]}" POST /zones/node2.mesh/records '{"name":"ro.node2.mesh","type":"A","value":"10.9.9.8","ttl":60}' | cut -d' ' -f1)"
r=$(req "${API[1]}" GET /audit/verify)
t_match "the audit chain of all the nodes' writes across the failover verifies" '^200 - \{"ok": ?true' "$r"
awk -v k="$T_KILL" -v d="$T_DOWN" -v p="$T_PROMOTED" -v h="$T_HEALTHY" -v t0="$T0" 'BEGIN {
	printf "  primary stopped in %.0f ms, standby promoted in %.0f ms, all nodes healthy %.0f ms after the stop\n", (d-k)*1000, (p-d)*1000, (h-k)*1000
}'
echo "  failover gap (longest wait between two 201s, per node): $(echo "$report" | sed -n 's/^gap_ms=//p') ms"
echo "  sdnsd_ha took $(awk -v t0="$T0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.1f", t1-t0}') s"
t_done
