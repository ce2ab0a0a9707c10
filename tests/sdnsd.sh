#!/usr/bin/env bash
# End-to-end: sdnsd serving a master file over DoQ with mutual TLS, asked by
# sdnsctl; answers checked by our client and parsed by dnspython (a library
# we did not write); reload on SIGHUP; clean stop; bad configurations.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd
cd "$T_DIR"

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 >/dev/null
"$BIN/sdnsctl" pki init --dir rogue --mesh test.mesh --node srv >/dev/null
cp "$ROOT/server/dev/node-alpha.mesh.zone" zone.txt
# browsers take P-256, not Ed25519: the default of pki init and issue
t_match "pki init makes P-256 keys by default (node)" 'ASN1 OID: prime256v1' "$(openssl x509 -in pki/node.pem -noout -text)"
t_match "and admin.p12 holds a P-256 key" 'ASN1 OID: prime256v1' \
	"$(openssl pkcs12 -in pki/admin.p12 -passin pass: -nodes 2>/dev/null | openssl pkey -noout -text 2>&1)"
t_match "pki issue too" 'ASN1 OID: prime256v1' "$(openssl x509 -in pki/app1.pem -noout -text)"

PORT=$(t_free_port)
SRV="127.0.0.1:$PORT"
t_bg sdnsd "$BIN/sdnsd" --doq-listen "$SRV" --tls-cert pki/node.pem \
	--tls-key pki/node.key --tls-ca pki/ca.pem --mesh test.mesh \
	--zone-file zone.txt --workers 2 --log-level debug
SDNSD_PID=$!
t_ok "sdnsd starts and logs event=started" t_wait_log sdnsd.log 'event=started' 10

q() { "$BIN/sdnsctl" query --server "$SRV" --server-name localhost --ca pki/ca.pem \
	--cert pki/app1.pem --key pki/app1.key "$@"; }
jq_() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

out=$(q --json www.node-alpha.mesh A)
t_eq "CNAME chased to the apex A record" "NOERROR CNAME:node-alpha.mesh. A:10.0.0.5" \
	"$(echo "$out" | jq_ '" ".join([d["status"]] + [r["type"]+":"+r["data"] for r in d["answer"]])')"
t_eq "answer is authoritative" "True" "$(echo "$out" | jq_ '"aa" in d["flags"]')"
t_eq "response is padded to the 468-octet block" "0" "$(echo "$out" | jq_ 'd["size"] % 468')"

t_match "the dig-like form names the opcode as dig does" 'opcode: QUERY, status: NOERROR' "$(q www.node-alpha.mesh A)"
DEAD=$(t_free_port)
t0=$(date +%s%N)
out=$(q --server "127.0.0.1:$DEAD" www.node-alpha.mesh A 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t_eq "a port nobody listens on fails with exit 1" 1 "$rc"
t_match "at once, saying so (not a handshake timeout)" 'connection refused \(nothing listens on that UDP port\)' "$out"
t_ok "within a second ($ms ms)" test "$ms" -lt 1000

out=$(q --json nope.node-alpha.mesh A)
t_eq "NXDOMAIN carries the SOA with the negative TTL 300" "NXDOMAIN SOA 300" \
	"$(echo "$out" | jq_ 'd["status"]+" "+d["authority"][0]["type"]+" "+str(d["authority"][0]["ttl"])')"
out=$(q --json a.b.svc.node-alpha.mesh A)
t_eq "wildcard answers with the query name" "a.b.svc.node-alpha.mesh. 10.0.1.1" \
	"$(echo "$out" | jq_ 'd["answer"][0]["name"]+" "+d["answer"][0]["data"]')"
out=$(q --json example.org A)
t_eq "names outside every zone are REFUSED" "REFUSED" "$(echo "$out" | jq_ 'd["status"]')"

# A second sdnsd on the DoQ port the first holds must not join its
# SO_REUSEPORT group (it would take part of the traffic): it is refused
# before event=started. So is a port held by a plain socket.
out=$(timeout 20 "$BIN/sdnsd" --doq-listen "$SRV" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --mesh test.mesh --zone-file zone.txt --workers 2 2>&1); rc=$?
t_eq "a second sdnsd on a held DoQ port exits 1" "1" "$rc"
t_match "naming the option, the address and the cause" \
	"start_failed .*--doq-listen: bind $SRV: address already in use" "$out"
t_eq "and never logs event=started" "0" "$(echo "$out" | grep -c 'event=started')"
ok=0
for i in $(seq 100); do
	[ "$(q --json www.node-alpha.mesh A | jq_ 'd["status"]')" = NOERROR ] && ok=$((ok + 1))
done
t_eq "the first still answers 100 of 100 queries" "100" "$ok"
HELD=$(t_free_port)
$PY -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
open("held", "w").close(); time.sleep(30)' "$HELD" &
HOLDER=$!
for i in $(seq 100); do [ -e held ] && break; sleep 0.1; done
out=$(timeout 20 "$BIN/sdnsd" --doq-listen "127.0.0.1:$HELD" --tls-cert pki/node.pem \
	--tls-key pki/node.key --tls-ca pki/ca.pem --zone-file zone.txt --workers 2 2>&1); rc=$?
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
t_eq "a DoQ port held by a plain UDP socket is refused with exit 1" "1" "$rc"
t_match "as address already in use" "--doq-listen: bind 127.0.0.1:$HELD: address already in use" "$out"

q --wire-out answer.bin MAIL.Node-Alpha.mesh A >/dev/null
t_eq "dnspython parses our wire answer; question case kept" "MAIL.Node-Alpha.mesh. A 10.0.0.6 aa" \
	"$($PY -c '
import dns.message, dns.flags
m = dns.message.from_wire(open("answer.bin","rb").read())
q = m.question[0]; a = m.answer[0]
print(q.name.to_text(), dns.rdatatype.to_text(a.rdtype), a[0].to_text(), "aa" if m.flags & dns.flags.AA else "-")')"

out=$(q _dns._udp.node-alpha.mesh SRV)
t_match "dig-style output shows the SRV record" '_dns\._udp\.node-alpha\.mesh\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+SRV[[:space:]]+0 5 53 ns1\.node-alpha\.mesh\.' "$out"

t_fails "a client certificate from another CA is refused" "$BIN/sdnsctl" query --server "$SRV" \
	--server-name localhost --ca pki/ca.pem --cert rogue/admin.pem --key rogue/admin.key www.node-alpha.mesh
t_match "the refusal is logged with its reason" 'event=handshake_refused .*reason=' "$(cat sdnsd.log)"
t_fails "the client refuses a server whose name does not match" "$BIN/sdnsctl" query --server "$SRV" \
	--server-name wrong.example --ca pki/ca.pem --cert pki/app1.pem --key pki/app1.key www.node-alpha.mesh

sed -i 's/^api     300 IN A 10.0.0.7/api     300 IN A 10.0.0.77/' zone.txt
kill -HUP "$SDNSD_PID"
t_ok "SIGHUP reloads the zone" t_wait_log sdnsd.log 'event=reloaded' 10
out=$(q --json api.node-alpha.mesh A)
t_eq "the reloaded data is answered" "10.0.0.77" "$(echo "$out" | jq_ 'd["answer"][0]["data"]')"

echo 'broken IN A 1.2.3' >> zone.txt
kill -HUP "$SDNSD_PID"
t_ok "a broken zone on reload is reported with its line" t_wait_log sdnsd.log 'event=zone_load_failed .*zone.txt: line 2[0-9]' 10
out=$(q --json api.node-alpha.mesh A)
t_eq "and the previous zone keeps being served" "10.0.0.77" "$(echo "$out" | jq_ 'd["answer"][0]["data"]')"

kill -TERM "$SDNSD_PID"; wait "$SDNSD_PID"; rc=$?
t_eq "SIGTERM stops cleanly with exit 0" "0" "$rc"
t_match "and logs event=stopped" 'event=stopped' "$(cat sdnsd.log)"

# Without --mesh only our own certificate's mesh gets in, although the CA
# signs for others too.
"$BIN/sdnsctl" pki issue --dir pki --role client --name app2 --mesh other.mesh >/dev/null
PORT2=$(t_free_port)
t_bg sdnsd2 "$BIN/sdnsd" --doq-listen "127.0.0.1:$PORT2" --tls-cert pki/node.pem \
	--tls-key pki/node.key --tls-ca pki/ca.pem --zone-file "$ROOT/server/dev/node-alpha.mesh.zone" \
	--workers 1
S2_PID=$!
t_ok "without --mesh it logs the mesh of its certificate" t_wait_log sdnsd2.log 'event=mesh_default mesh=test.mesh' 10
t_wait_log sdnsd2.log 'event=started' 10
q2() { "$BIN/sdnsctl" query --server "127.0.0.1:$PORT2" --server-name localhost --ca pki/ca.pem "$@" www.node-alpha.mesh; }
t_ok "a client of its own mesh is answered" q2 --cert pki/app1.pem --key pki/app1.key
t_fails "a client of another mesh under the same CA is refused" q2 --cert pki/app2.pem --key pki/app2.key
t_match "for the wrong mesh" 'event=handshake_refused .*wrong_mesh' "$(cat sdnsd2.log)"
kill -TERM "$S2_PID"; wait "$S2_PID"

echo '{"doq_listen": "127.0.0.1:1", "zone_filez": []}' > bad.json
out=$("$BIN/sdnsd" --config bad.json 2>&1); rc=$?
t_eq "an unknown config key is a usage error (exit 2)" "2" "$rc"
t_match "naming the key" "unknown key 'zone_filez'" "$out"
out=$("$BIN/sdnsd" --tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem 2>&1); rc=$?
t_match "a missing --zone-file is named" "zone-file \(or --db\) is required" "$out"
printf '$ORIGIN x.\n@ SOA a b 1 2 3 4 5\nfoo A 10.0.0.300\n' > bad.zone
out=$("$BIN/sdnsd" --doq-listen "$SRV" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --zone-file bad.zone 2>&1); rc=$?
t_eq "a bad zone file stops start-up with exit 1" "1" "$rc"
t_match "with file and line" 'bad\.zone: line 3' "$out"

# Every option --help lists is recognised (getopt once returned an option's
# table index, so the 64th option, --mesh-state, came back as '?').
unknown=""
for f in $("$BIN/sdnsd" --help 2>&1 | grep -o '^  --[a-z0-9-]*' | sort -u); do
	[ "$f" = --help ] && continue
	"$BIN/sdnsd" "$f" x 2>&1 | grep -q '^usage:' && unknown="$unknown $f"
done
t_eq "every option of sdnsd --help is recognised" "" "$unknown"
t_done
