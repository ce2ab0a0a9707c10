#!/usr/bin/env bash
# End-to-end DNS over TLS (RFC 7858): sdnsd with --dot-listen beside DoQ,
# asked by clients we did not write: BIND 9.18's dig +tls, Knot 3.2's kdig
# +tls, and Python's ssl module with dnspython (tests/lib/dotq.py), each
# with a client certificate. Answers must equal DoQ's byte for byte (but
# the ID), refusals (no certificate, another CA, revoked) must happen in
# the handshake, answers are padded, pipelined queries answered on one
# connection, the idle timer closes, a held port is refused.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_dot
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/

for tool in dig kdig; do
	command -v "$tool" >/dev/null || { t_fail "$tool is installed (make deps)"; t_done; exit; }
done
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 >/dev/null
"$BIN/sdnsctl" pki init --dir rogue --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir rogue --role client --name app1 >/dev/null
cp "$ROOT/server/dev/node-alpha.mesh.zone" zone.txt
$PY -c 'import os; fd = os.open("zone.key", os.O_WRONLY | os.O_CREAT, 0o600); os.write(fd, os.urandom(32))'

DOQ=$(t_free_port); DOT=$(t_free_port)
t_bg sdnsd "$BIN/sdnsd" --doq-listen "127.0.0.1:$DOQ" --dot-listen "127.0.0.1:$DOT" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem --mesh test.mesh \
	--zone-file zone.txt --zone-key zone.key --workers 2 --idle-timeout-ms 1500 --log-level debug
t_ok "sdnsd starts with --dot-listen" t_wait_log sdnsd.log 'event=started .*dot=127.0.0.1:'"$DOT" 10

TLSC=(+tls-ca=pki/ca.pem +tls-hostname=localhost)
CERT=(+tls-certfile=pki/app1.pem +tls-keyfile=pki/app1.key)
ROGUE=(+tls-certfile=rogue/app1.pem +tls-keyfile=rogue/app1.key)
dig_() { dig +tls "${TLSC[@]}" @127.0.0.1 -p "$DOT" +time=3 +tries=1 "$@" 2>&1; }
kdig_() { kdig @127.0.0.1 -p "$DOT" "${TLSC[@]}" +timeout=3 +retry=0 "$@" 2>&1; }
doq() { "$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
	--cert pki/app1.pem --key pki/app1.key "$@"; }
dotq() { $PY "$ROOT/tests/lib/dotq.py" "$DOT" pki/ca.pem "$@"; }
field() { $PY -c "import json,sys; d=[json.loads(l) for l in sys.stdin]; print($1)"; }

# --- dig (BIND 9.18) ---
out=$(dig_ "${CERT[@]}" www.node-alpha.mesh A)
t_match "dig +tls with a client certificate gets NOERROR" 'status: NOERROR' "$out"
t_match "the CNAME chased to the A record" 'node-alpha\.mesh\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.5' "$out"
t_match "over TLS" 'SERVER: 127\.0\.0\.1#'"$DOT"'\(127\.0\.0\.1\) \(TLS\)' "$out"
t_match "padded to the 468-octet block (RFC 8467)" 'MSG SIZE  rcvd: 468' "$out"
t_match "with a padding option dig shows" '; PAD: \([0-9]+ bytes\)' "$out"
out=$(dig_ "${CERT[@]}" +dnssec www.node-alpha.mesh A)
t_match "dig +tls +dnssec gets the RRSIGs" 'IN[[:space:]]+RRSIG[[:space:]]+A 15 ' "$out"
out=$(dig_ "${CERT[@]}" nope.node-alpha.mesh A)
t_match "dig +tls: a denial is NXDOMAIN" 'status: NXDOMAIN' "$out"

# dig 9.18 often prints nothing and exits 0 when the server refuses its
# certificate after the client's side of the handshake finished (TLS 1.3):
# no status line, and the server's log says why.
out=$(dig_ www.node-alpha.mesh A)
t_fails "dig +tls without a client certificate gets no answer" grep -q 'status:' <<<"$out"
t_ok "refused in the handshake: certificate required" \
	t_wait_log sdnsd.log 'event=dot_handshake_refused .*reason="Certificate is required."' 5
out=$(dig_ "${ROGUE[@]}" www.node-alpha.mesh A)
t_fails "dig +tls with another CA's certificate gets no answer" grep -q 'status:' <<<"$out"
t_ok "refused in the handshake: unknown_ca" t_wait_log sdnsd.log 'event=dot_handshake_refused .*reason=unknown_ca' 5

# --- kdig (Knot 3.2) ---
out=$(kdig_ "${CERT[@]}" +padding www.node-alpha.mesh A)
t_match "kdig +tls with a client certificate gets NOERROR" 'status: NOERROR' "$out"
t_match "kdig: TLS 1.3" 'TLS session \(TLS1\.3\)' "$out"
t_match "kdig: the A record" 'node-alpha\.mesh\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.5' "$out"
t_match "kdig +padding shows the answer's padding" ';; PADDING: [0-9]+ B' "$out"
t_match "kdig: 468 octets" ';; Received 468 B' "$out"
out=$(kdig_ "${CERT[@]}" +dnssec nope.node-alpha.mesh A)
t_match "kdig +dnssec: a signed denial (compact NSEC, RRSIG)" 'NSEC.*RRSIG|RRSIG.*NSEC' "$(echo "$out" | tr '\n' ' ')"
out=$(kdig_ www.node-alpha.mesh A)
t_fails "kdig +tls without a client certificate gets no answer" grep -q 'status: NOERROR' <<<"$out"
out=$(kdig_ "${ROGUE[@]}" www.node-alpha.mesh A)
t_fails "kdig +tls with another CA's certificate gets no answer" grep -q 'status: NOERROR' <<<"$out"
t_match "kdig says the TLS session failed" 'WARNING: TLS, |failed|refused' "$out"

# --- answers equal DoQ's ---
same_as_doq() { # NAME TYPE [do]
	local dnssec=() spec="$1:$2"
	[ "${3:-}" = do ] && dnssec=(--dnssec) spec="$spec:do"
	doq "${dnssec[@]}" --wire-out doq.bin "$1" "$2" >/dev/null || { echo "DoQ query failed"; return 1; }
	local dot; dot=$(dotq pki/app1.pem pki/app1.key "$spec" | field 'd[0]["wire"]') || return 1
	local a b; a=$(xxd -p doq.bin | tr -d '\n' | cut -c5-); b=${dot:4}
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "DoQ: $a"; echo "DoT: $b"; return 1; }
}
t_ok "A: the DoT answer equals DoQ's (all but the ID)" same_as_doq www.node-alpha.mesh A
t_ok "a denial (NXDOMAIN) equals DoQ's" same_as_doq nope.node-alpha.mesh A
t_ok "a signed answer (DO) equals DoQ's" same_as_doq www.node-alpha.mesh A do
t_ok "REFUSED outside every zone equals DoQ's" same_as_doq example.org A

# --- pipelining: several queries in one write on one connection ---
out=$(dotq pki/app1.pem pki/app1.key www.node-alpha.mesh:A nope.node-alpha.mesh:A \
	node-alpha.mesh:SOA a.b.svc.node-alpha.mesh:A www.node-alpha.mesh:A:do)
t_eq "five pipelined queries get five answers with their IDs" "1000 1001 1002 1003 1004" \
	"$(echo "$out" | field '" ".join(str(i) for i in sorted(x["id"] for x in d))')"
t_eq "each answers its own question" "NOERROR NXDOMAIN NOERROR NOERROR NOERROR" \
	"$(echo "$out" | field '" ".join(x["rcode"] for x in sorted(d, key=lambda x: x["id"]))')"
t_eq "every answer is padded to a multiple of 468" "True" \
	"$(echo "$out" | field 'all(x["padding"] and x["size"] % 468 == 0 for x in d)')"
hs=$(grep -c 'event=dot_handshake_ok' sdnsd.log)
out=$(kdig_ "${CERT[@]}" +keepopen www.node-alpha.mesh A nope.node-alpha.mesh A node-alpha.mesh SOA)
t_eq "kdig +keepopen: three answers" "3" "$(grep -c 'status: ' <<<"$out")"
t_eq "on one connection (one handshake)" "$((hs + 1))" "$(grep -c 'event=dot_handshake_ok' sdnsd.log)"

# --- idle timer ---
out=$(dotq pki/app1.pem pki/app1.key --hold 5 www.node-alpha.mesh:A | tail -1)
t_eq "an idle connection is closed by the server (--idle-timeout-ms 1500)" "True" "$(echo "$out" | field 'd[0]["closed_by_server"]')"
t_eq "after about 1.5 s" "True" "$(echo "$out" | field '1.0 <= d[0]["after"] <= 3.0')"

# --- the port is held ---
out=$(timeout 20 "$BIN/sdnsd" --doq-listen "127.0.0.1:$(t_free_port)" --dot-listen "127.0.0.1:$DOT" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem --mesh test.mesh \
	--zone-file zone.txt --workers 1 2>&1); rc=$?
t_eq "a second sdnsd on the held DoT port exits 1" 1 "$rc"
t_match "naming the option and the cause" "start_failed .*--dot-listen: bind 127.0.0.1:$DOT: address already in use" "$out"
t_eq "and never logs event=started" 0 "$(echo "$out" | grep -c 'event=started')"

# --- store mode: a revoked certificate is refused, as DoQ refuses it ---
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
trap '"$ROOT/server/dev/pg.sh" stop "$T_DIR/pg" >/dev/null 2>&1; t_cleanup' EXIT
"$BIN/sdnsd" --migrate --db "$CONNINFO user=sdns_owner" --db-runtime-role sdns_app \
	--migrations "$ROOT/migrations" >migrate.log 2>&1 || t_fail "migrate" "$(cat migrate.log)"
DOQ=$(t_free_port); DOT=$(t_free_port); API=$(t_free_port)
t_bg store "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" --dot-listen "127.0.0.1:$DOT" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --ca-key pki/ca.key --mesh test.mesh \
	--migrations "$ROOT/migrations" --log-level debug
t_ok "sdnsd starts in store mode with --dot-listen" t_wait_log store.log 'event=api_ready' 15
URL="https://localhost:$API"
api() { curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key -X "$1" \
	${3:+-H 'Content-Type: application/json' --data "$3"} "$URL$2"; }
jq_() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
tok=$(api POST /peers/tokens '{"name":"app2","role":"client","ttl_seconds":600}' | jq_ 'd["token"]')
"$BIN/sdnsctl" enroll --api "$URL" --ca pki/ca.pem --token "$tok" --dir app2 --name app2 >enroll.log 2>&1
t_ok "a client enrolls (app2)" test -s app2/client.pem
C2=(+tls-certfile=app2/client.pem +tls-keyfile=app2/client.key)
t_match "the enrolled client's certificate gets answers over DoT (client role)" 'status: (NOERROR|REFUSED)' \
	"$(kdig_ "${C2[@]}" www.node-alpha.mesh A)"
# an open connection, held while the certificate is revoked
dotq app2/client.pem app2/client.key --hold 8 www.node-alpha.mesh:A >held.out 2>&1 &
HELD=$!
sleep 1
PEER=$(api GET /peers | jq_ '[p["id"] for p in d["peers"] if p["name"]=="app2"][0]')
t_eq "admin revokes app2" revoked "$(api DELETE "/peers/$PEER" | jq_ 'd["status"]')"
wait "$HELD"
t_eq "its open DoT connection is closed by the server" "True" "$(tail -1 held.out | field 'd[0]["closed_by_server"]')"
t_ok "within a second of the revocation" test "$(tail -1 held.out | field 'int(d[0]["after"] < 2)')" = 1
t_ok "sdnsd logs the close" t_wait_log store.log 'event=conn_closed reason=revoked transport=dot' 5
out=$(kdig_ "${C2[@]}" www.node-alpha.mesh A)
t_fails "a new DoT handshake with the revoked certificate gets no answer" grep -q 'status: ' <<<"$out"
t_ok "refused in the handshake (denied)" t_wait_log store.log 'event=dot_handshake_refused .*reason=denied' 5
t_fails "DoQ refuses it too" "$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost \
	--ca pki/ca.pem --cert app2/client.pem --key app2/client.key www.node-alpha.mesh A
t_match "other clients still get answers" 'status: (NOERROR|REFUSED)' "$(kdig_ "${CERT[@]}" www.node-alpha.mesh A)"

m=$(api GET /metrics)
t_match "GET /metrics counts the revoked DoT connection closed" '^sdns_dot_closed_revoked_total 1$' "$m"
t_match "and the refused DoT handshake" '^sdns_dot_handshakes_total\{result="refused"\} [1-9]' "$m"
t_match "the mesh runs, so DoT answered through the mesh's (asynchronous) path" 'event=mesh_started' "$(cat store.log)"

t_done
