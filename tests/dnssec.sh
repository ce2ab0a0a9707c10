#!/usr/bin/env bash
# End-to-end DNSSEC: sdnsd in static mode with --zone-key signs its zone;
# answers (positive, CNAME, wildcard, RFC 9824 compact denial, DNSKEY) are
# fetched over the stub's TCP and validated by dnspython's dns.dnssec (a
# library we did not write), and by `sdnsctl query --validate` over DoQ.
. "$(dirname "$0")/lib/shtest.sh"
t_setup dnssec
cd "$T_DIR"

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 >/dev/null
cp "$ROOT/server/dev/node-alpha.mesh.zone" zone.txt
# A zone key as `sdnsctl enroll` writes it: 32-byte seed (0600) + base64 pub.
$PY - <<'PY'
import os, base64
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization as s
seed = os.urandom(32)
fd = os.open("zone.key", os.O_WRONLY | os.O_CREAT, 0o600); os.write(fd, seed); os.close(fd)
pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
open("zone.pub", "w").write(base64.b64encode(pub).decode() + "\n")
seed2 = os.urandom(32)
pub2 = Ed25519PrivateKey.from_private_bytes(seed2).public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
open("other.pub", "w").write(base64.b64encode(pub2).decode() + "\n")
PY

PORT=$(t_free_port)
STUB=$(t_free_port)
SRV="127.0.0.1:$PORT"
t_bg sdnsd "$BIN/sdnsd" --doq-listen "$SRV" --tls-cert pki/node.pem \
	--tls-key pki/node.key --tls-ca pki/ca.pem --zone-file zone.txt \
	--zone-key zone.key --sig-validity 86400 --workers 2 \
	--stub-listen "127.0.0.1:$STUB" --log-level debug
SDNSD_PID=$!
t_ok "sdnsd starts with --zone-key" t_wait_log sdnsd.log 'event=started' 10
t_match "the key tag is logged" 'event=zone_key_loaded alg=15 key_tag=[0-9]+' "$(cat sdnsd.log)"
t_ok "the stub is up" t_wait_log sdnsd.log 'event=stub_started|stub.*listen' 10

# dnspython: ask over the stub's TCP with DO, validate every RRset.
check() {
	$PY - "$STUB" "$@" <<'PY'
import sys, base64
import dns.message, dns.query, dns.dnssec, dns.name, dns.rdatatype, dns.rcode, dns.flags
port, qname, qtype, want = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
apex = dns.name.from_text("node-alpha.mesh.")
def ask(n, t):
    q = dns.message.make_query(n, t, want_dnssec=True)
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)
keys = ask(apex, "DNSKEY")
dnskey = keys.find_rrset(keys.answer, apex, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
sig = keys.find_rrset(keys.answer, apex, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
anchor = {apex: dnskey}
dns.dnssec.validate(dnskey, sig, anchor)
pub = base64.b64encode(dnskey[0].key).decode()
assert pub == open("zone.pub").read().strip(), "DNSKEY is not zone.pub"
assert dnskey[0].flags == 257 and dnskey[0].algorithm == 15
r = ask(qname, qtype)
n = 0
for sec in (r.answer, r.authority):
    for rrset in sec:
        if rrset.rdtype == dns.rdatatype.RRSIG: continue
        sigs = [s for s in sec if s.rdtype == dns.rdatatype.RRSIG and s.covers == rrset.rdtype and s.name == rrset.name]
        assert sigs, "no RRSIG for %s %s" % (rrset.name, dns.rdatatype.to_text(rrset.rdtype))
        dns.dnssec.validate(rrset, sigs[0], anchor)
        n += 1
out = [dns.rcode.to_text(r.rcode()), str(n)]
for rrset in r.authority:
    if rrset.rdtype == dns.rdatatype.NSEC:
        nsec = rrset[0]
        types = sorted(dns.rdatatype.to_text(t) for w in [nsec.windows] for (win, bm) in w
                       for i, b in enumerate(bm) for j in range(8) if b & (0x80 >> j)
                       for t in [win * 256 + i * 8 + j])
        out += ["NSEC", nsec.next.to_text(), ",".join(types)]
print(" ".join(out) if want == "-" else " ".join(out).startswith(want) and "ok" or " ".join(out))
PY
}

t_eq "A at the apex: signed, validated by dnspython" "NOERROR 1" "$(check node-alpha.mesh. A -)"
t_eq "CNAME chain: both RRsets validate" "NOERROR 2" "$(check www.node-alpha.mesh. A -)"
t_eq "wildcard expansion is signed at the query name" "NOERROR 1" "$(check a.b.svc.node-alpha.mesh. A -)"
t_eq "MX and SRV (names in RDATA) validate" "NOERROR 1" "$(check _dns._udp.node-alpha.mesh. SRV -)"
t_eq "NXDOMAIN is compact denial: NOERROR, NSEC \\000.name with NXNAME, all signed" \
	"NOERROR 2 NSEC \\000.nope.node-alpha.mesh. NSEC,RRSIG,TYPE128" \
	"$(check nope.node-alpha.mesh. A -)"
t_eq "NODATA: the NSEC lists the types present" \
	"NOERROR 2 NSEC \\000.api.node-alpha.mesh. A,NSEC,RRSIG" \
	"$(check api.node-alpha.mesh. AAAA -)"

q() { "$BIN/sdnsctl" query --server "$SRV" --server-name localhost --ca pki/ca.pem \
	--cert pki/app1.pem --key pki/app1.key "$@"; }
out=$(q --validate --zone-key-pub zone.pub www.node-alpha.mesh A 2>&1)
t_match "sdnsctl query --validate with the zone key: secure" \
	'DNSSEC: secure \(zone node-alpha\.mesh\., Ed25519 key tag [0-9]+, trust: --zone-key-pub\)' "$out"
out=$(q --validate --zone-key-pub "$(cat zone.pub)" nope.node-alpha.mesh A 2>&1)
t_match "a compact-denial answer validates too" 'DNSSEC: secure' "$out"
out=$(q --validate api.node-alpha.mesh A 2>&1)
t_match "without a key the server's own DNSKEY is the (stated) trust" \
	"trust: the server's own DNSKEY" "$out"
out=$(q --validate --zone-key-pub other.pub www.node-alpha.mesh A 2>&1); rc=$?
t_eq "another key: bogus, exit 1" "1" "$rc"
t_match "with the reason" 'DNSSEC validation failed: .*key tag' "$out"
out=$(q --validate --zone-key-pub 'not-a-key' www.node-alpha.mesh A 2>&1); rc=$?
t_eq "a bad --zone-key-pub is a usage error (exit 2)" "2" "$rc"

out=$(q --json www.node-alpha.mesh A)
t_eq "without DO nothing changes (no RRSIG)" "CNAME A" \
	"$(echo "$out" | $PY -c 'import json,sys; print(" ".join(r["type"] for r in json.load(sys.stdin)["answer"]))')"

sed -i 's/^api     300 IN A 10.0.0.7/api     300 IN A 10.0.0.78/' zone.txt
kill -HUP "$SDNSD_PID"
t_ok "SIGHUP reloads and re-signs" t_wait_log sdnsd.log 'event=reloaded' 10
t_eq "the reloaded record validates" "NOERROR 1" "$(check api.node-alpha.mesh. A -)"

kill -TERM "$SDNSD_PID"; wait "$SDNSD_PID"; rc=$?
t_eq "SIGTERM stops cleanly with exit 0" "0" "$rc"

out=$("$BIN/sdnsd" --doq-listen 127.0.0.1:1 --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --zone-file zone.txt --zone-key zone.pub 2>&1); rc=$?
t_eq "a zone key that is not a 32-byte seed stops the start (exit 1)" "1" "$rc"
t_match "naming the file" 'zone key zone.pub: malformed' "$out"

# Re-signing: with a 16 s validity the signatures are renewed once less
# than 4 s is left, a few names at a time (static mode in its timer
# thread, store mode in the sync thread).
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/
PORT2=$(t_free_port); STUB2=$(t_free_port)
t_bg resign "$BIN/sdnsd" --doq-listen "127.0.0.1:$PORT2" --tls-cert pki/node.pem \
	--tls-key pki/node.key --tls-ca pki/ca.pem --zone-file zone.txt \
	--zone-key zone.key --sig-validity 16 --workers 1 --stub-listen "127.0.0.1:$STUB2"

PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
pg_stop() { "$ROOT/server/dev/pg.sh" stop "$T_DIR/pg"; }
trap 'pg_stop >/dev/null 2>&1; t_cleanup' EXIT
"$ROOT/server/dev/migrate.sh" "$CONNINFO" >"$T_DIR/migrate.log" 2>&1 || { cat "$T_DIR/migrate.log"; exit 1; }
DOQ=$(t_free_port); API=$(t_free_port); STUB=$(t_free_port)
t_bg store "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --mesh test.mesh --migrations "$ROOT/migrations" \
	--zone-key zone.key --sig-validity 16 --stub-listen "127.0.0.1:$STUB" \
	--log-level debug
t_ok "store mode starts with --zone-key" t_wait_log store.log 'event=api_ready' 15
api() { curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key -X "$1" \
	-o /dev/null -w '%{http_code}' ${3:+-H 'Content-Type: application/json' --data "$3"} \
	"https://localhost:$API$2"; }
t_eq "zone created over the API" 201 "$(api POST /zones/node-alpha.mesh)"
t_eq "record created over the API" 201 "$(api POST /zones/node-alpha.mesh/records \
	'{"name":"db.node-alpha.mesh","type":"A","value":"10.0.9.9","ttl":300}')"
ok=""
for i in $(seq 50); do
	ok=$(check db.node-alpha.mesh. A - 2>&1) && [ "$ok" = "NOERROR 1" ] && break
	sleep 0.1
done
t_eq "a record from the database is served signed and validates" "NOERROR 1" "$ok"
t_eq "its NXDOMAIN is signed compact denial too" \
	"NOERROR 2 NSEC \\000.none.node-alpha.mesh. NSEC,RRSIG,TYPE128" \
	"$(check none.node-alpha.mesh. A -)"

# Thousands of incremental changes (each re-signs only what it touched),
# then answers of every kind still validate with dnspython.
"$BIN/sdnsctl" bench-api --api "https://localhost:$API" --server "127.0.0.1:$DOQ" \
	--server-name localhost --ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key \
	--writes 3000 --changes 100 node-alpha.mesh >bench.out 2>&1
t_match "3,000 writes and 100 timed changes through the API" \
	'API writes: .* 0 failed\).*0 missed' "$(tr '\n' ' ' <bench.out)"
curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key \
	"https://localhost:$API/zones/node-alpha.mesh/records" >records.json
# Delete 50 of them and update 50 more, one API call each.
$PY - >edits.txt <<'PY'
import json
recs = [r for r in json.load(open("records.json")) if r["type"] == "A"]
for r in recs[:50]:
    print("DELETE", r["id"], r["name"])
for i, r in enumerate(recs[50:100]):
    print("PUT", r["id"], r["name"], "10.77.0.%d" % i)
PY
while read -r verb id name addr; do
	body=""
	[ "$verb" = PUT ] && body="{\"name\":\"$name\",\"type\":\"A\",\"value\":\"$addr\"}"
	api "$verb" "/zones/node-alpha.mesh/records/$id" "$body" >/dev/null
done <edits.txt
sleep 0.5
bad=0
while read -r verb id name addr; do
	if [ "$verb" = DELETE ]; then want="NOERROR 2 NSEC"; else want="NOERROR 1"; fi
	got=$(check "$name." A - 2>&1) || got="invalid: $got"
	case "$got" in "$want"*) ;; *) bad=$((bad + 1)); echo "  $name: $got" >&2 ;; esac
done < <(sed -n '1~5p' edits.txt)
t_eq "after them, deleted names prove their absence and updated ones validate" 0 "$bad"
t_eq "and the apex still validates" "NOERROR 1" "$(check node-alpha.mesh. SOA - 2>&1)"

t_ok "static mode re-signs before the signatures expire" \
	t_wait_log resign.log 'event=zones_resigned mode=static' 20
t_ok "store mode re-signs in the sync thread" \
	t_wait_log store.log 'event=zones_resigned mode=store' 20
sleep 5 # past the first signatures' expiry: answers must still validate
t_eq "after the first window, answers still validate" "NOERROR 1" "$(check db.node-alpha.mesh. A -)"
t_done
