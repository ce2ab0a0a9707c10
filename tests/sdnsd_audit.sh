#!/usr/bin/env bash
# The audit key and the own head of sdnsd in store mode, against a real
# PostgreSQL: the key is a seed of its own in the state directory (made on
# first start, mode 0600), not the TLS key; entries signed by the TLS key
# (the old default) are reported until that key is trusted; the head the
# node signs follows the chain, and a chain cut behind its back is
# reported (log, /metrics) by the node itself.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_audit
cd "$T_DIR"
chmod 755 "$T_DIR"

# A node credential without audit.key: what a deployment before this had.
# Ed25519, as the TLS keys of such deployments were (the default then)
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv --alg ed25519 >/dev/null
mkdir -m 700 node
"$BIN/sdnsctl" pki issue --dir pki --role node --name srv --out node/node --alg ed25519 >/dev/null

PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
pg_stop() { "$ROOT/server/dev/pg.sh" stop "$T_DIR/pg"; }
trap 'pg_stop >/dev/null 2>&1; t_cleanup' EXIT
"$ROOT/server/dev/migrate.sh" "$CONNINFO" >"$T_DIR/migrate.log" 2>&1 || { cat "$T_DIR/migrate.log"; exit 1; }
# sdnsd runs as the runtime role; the SQL below is the tables' owner (an insider)
OWNER="$CONNINFO user=sdns_owner"
psql_() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql "$OWNER" -Atqc "$1"; else psql "$OWNER" -Atqc "$1"; fi; }

DOQ=$(t_free_port); API=$(t_free_port)
URL="https://localhost:$API"
ctl() { "$BIN/sdnsctl" "$@" --api "$URL" --ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key; }
start() { # NAME ARGS...: sdnsd in the background, until its API answers
	local name=$1; shift
	t_bg "$name" "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
		--api-listen "127.0.0.1:$API" --tls-cert node/node.pem --tls-key node/node.key \
		--tls-ca pki/ca.pem --mesh test.mesh --migrations "$ROOT/migrations" "$@"
	SDNSD=$!
	for _ in $(seq 150); do ctl zone list >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
# t_start "what" NAME ARGS...: start in this shell (t_ok would fork it)
t_start() {
	local what=$1; shift
	if start "$@"; then t_pass "$what"; else t_fail "$what" "$(tail -5 "$T_DIR/$1.log")"; fi
}
stop() { kill "$SDNSD"; wait "$SDNSD" 2>/dev/null || true; }
hexpub() { $PY -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex())' "$1"; }
metric() { curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key "$URL/metrics" | grep "^$1" ; }

# --- the old default, kept explicitly: the TLS key signs (PEM accepted) ---
t_start "sdnsd starts with --audit-key set to its TLS key" old --audit-key node/node.key
ctl zone create old.mesh >/dev/null
TLSPUB=$("$BIN/sdnsctl" audit pubkey --key node/node.key)
t_eq "entries are signed by the TLS key when told so" "$(hexpub "$TLSPUB")" \
	"$(psql_ "SELECT encode(signer_pub, 'hex') FROM audit ORDER BY id DESC LIMIT 1")"
stop

# --- the new default: a seed of its own in the state dir ---
t_start "sdnsd starts without --audit-key" fresh --audit-head-interval 1
t_match "it makes STATE-DIR/audit.key on first start" 'event=audit_key_created path=node/audit.key' "$(cat fresh.log)"
t_eq "audit.key is a 32-byte seed, mode 0600" "32 600" "$(stat -c '%s %a' node/audit.key)"
AUDPUB=$("$BIN/sdnsctl" audit pubkey --key node/audit.key)
t_eq "audit.pub holds its public key" "$AUDPUB" "$(cat node/audit.pub)"
t_fails "and it is not the TLS key" test "$AUDPUB" = "$TLSPUB"
ctl zone create new.mesh >/dev/null
t_eq "new entries are signed by the audit key" "$(hexpub "$AUDPUB")" \
	"$(psql_ "SELECT encode(signer_pub, 'hex') FROM audit ORDER BY id DESC LIMIT 1")"
out=$(ctl audit verify 2>&1) && rc=0 || rc=$?
t_eq "the entries the TLS key signed no longer verify" 1 "$rc"
t_match "verify names the first of them and why" 'chain broken at entry 1: signed by a key this node does not trust' "$out"
t_ok "the node says why, with the way out" t_wait_log fresh.log \
	'event=audit_chain_bad id=1 .*signer_pub=.*hint="signed by the --tls-key' 5
stop

# --- the migration path: trust the old key ---
printf '# the TLS key, our audit key before 2026-12\nold-tls %s\n' "$TLSPUB" > trust
t_start "sdnsd starts with --audit-trust naming the old key" trusted --audit-trust trust --audit-head-interval 1
t_ok "the whole chain verifies again" ctl audit verify
t_ok "a key made on first start is kept afterwards" grep -q 'event=audit_key_loaded pub='"$AUDPUB" trusted.log
echo "bad line here" > badtrust
out=$("$BIN/sdnsd" --db "$CONNINFO" --doq-listen 127.0.0.1:1 --api-listen 127.0.0.1:1 \
	--tls-cert node/node.pem --tls-key node/node.key --tls-ca pki/ca.pem \
	--audit-trust badtrust --migrations "$ROOT/migrations" 2>&1) && rc=0 || rc=$?
t_eq "a bad --audit-trust line stops the start" 1 "$rc"
t_match "with the file and line" 'audit-trust badtrust: line 1' "$out"

# --- the own head follows the chain; a cut is reported ---
for i in 1 2 3; do ctl zone create "h$i.mesh" >/dev/null; done
MAX=$(psql_ "SELECT max(id) FROM audit")
wait_head() { for _ in $(seq 50); do [ "$(metric sdns_audit_head_id)" = "sdns_audit_head_id $1" ] && return 0; sleep 0.1; done; metric sdns_audit_head_id; return 1; }
t_ok "the signed head reaches the newest entry" wait_head "$MAX"
t_match "and is kept in the state dir" "\"id\": $MAX" "$(cat node/audit-head.json)"
ctl zone create h4.mesh >/dev/null
MAX=$(psql_ "SELECT max(id) FROM audit")
t_ok "sdnsctl audit checkpoint saves the head, newest entry included" ctl audit checkpoint --out cp.json
t_match "the checkpoint names it" "\"id\": $MAX," "$(cat cp.json)"
t_ok "the node's own head follows" wait_head "$MAX"
psql_ "ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit WHERE id >= $((MAX - 1)); ALTER TABLE audit ENABLE TRIGGER USER" >/dev/null
t_ok "the node reports its chain cut behind it" t_wait_log trusted.log \
	"event=audit_chain_bad id=$MAX reason=\"entry already verified is gone: the chain was cut\"" 5
t_match "/metrics counts it" 'sdns_audit_chain_problems_total [1-9]' "$(metric sdns_audit_chain_problems_total)"
t_ok "the head published is what is left" wait_head "$((MAX - 2))"
out=$(ctl audit checkpoint --out cp2.json 2>&1) && rc=0 || rc=$?
t_eq "no checkpoint of a chain the node saw cut" 1 "$rc"
t_match "409, with why" "409 conflict: the audit chain does not verify: entry $MAX: entry already verified is gone" "$out"
out=$(ctl audit verify --checkpoint cp.json 2>&1) && rc=0 || rc=$?
t_eq "verify --checkpoint fails on the cut chain" 1 "$rc"
t_match "saying it is shorter" "CHECKPOINT FAILED: the chain is shorter than the checkpoint" "$out"
stop
t_start "restarted, it still knows the head it signed before" again --audit-trust trust --audit-head-interval 1
t_ok "and reports the cut again" t_wait_log again.log "event=audit_chain_bad id=$MAX " 5
stop

t_done
