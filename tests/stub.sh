#!/usr/bin/env bash
# End-to-end: sdnsd's loopback stub in front of a real unbound speaking
# DNS-over-TLS, asked with dig: forwarding, caching (unbound's own counters),
# pins (stale + good, wrong), wrong name, upstream down and back, TCP
# pipelining, UDP truncation, FORMERR, rate limiting, SIGHUP pin rotation.
. "$(dirname "$0")/lib/shtest.sh"
t_setup stub
cd "$T_DIR"

# --- a throw-away CA and a server certificate for unbound (SAN 127.0.0.1) ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=resolver.test -keyout ub.key -out ub.csr 2>/dev/null
printf 'subjectAltName=DNS:resolver.test,IP:127.0.0.1\n' > san.ext
openssl x509 -req -in ub.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out ub.pem 2>/dev/null
pin_of() { openssl pkey -in "$1" -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64; }
PIN=$(pin_of ub.key)
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out stale.key 2>/dev/null
STALE=$(pin_of stale.key)

UB_PORT=$(t_free_port) UB_TLS=$(t_free_port)
big=""; for i in $(seq 1 40); do big+="  local-data: 'big.test. 300 IN TXT \"twenty-bytes-of-text-$i\"'"$'\n'; done
cat > unbound.conf <<CONF
server:
  verbosity: 1
  username: ""
  chroot: ""
  directory: "$T_DIR"
  pidfile: "$T_DIR/unbound.pid"
  use-syslog: no
  do-daemonize: no
  num-threads: 1
  do-ip6: no
  interface: 127.0.0.1@$UB_PORT
  interface: 127.0.0.1@$UB_TLS
  port: $UB_PORT
  tls-port: $UB_TLS
  tls-service-key: "$T_DIR/ub.key"
  tls-service-pem: "$T_DIR/ub.pem"
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  statistics-cumulative: yes
  extended-statistics: yes
  local-zone: "test." static
  local-data: "test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 300"
  local-data: "a.test. 300 IN A 192.0.2.1"
$(for i in $(seq 1 20); do echo "  local-data: \"n$i.test. 300 IN A 192.0.2.$i\""; echo "  local-data: \"w$i.test. 300 IN A 198.51.100.$i\""; done)
$big
remote-control:
  control-enable: yes
  control-interface: "$T_DIR/ctl.sock"
  control-use-cert: no
CONF
start_unbound() { t_bg unbound /usr/sbin/unbound -d -c unbound.conf; UB_PID=$!; }
start_unbound
ub_queries() { /usr/sbin/unbound-control -c unbound.conf stats_noreset 2>/dev/null | sed -n 's/^total.num.queries=//p'; }
t_ok "unbound answers (DoT fixture up)" bash -c "for i in \$(seq 50); do [ -n \"\$(/usr/sbin/unbound-control -c unbound.conf status 2>/dev/null | grep -i running)\" ] && exit 0; sleep 0.1; done; exit 1"

# --- sdnsd with the stub ---
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
cp "$ROOT/server/dev/node-alpha.mesh.zone" zone.txt
STUB=$(t_free_port) DOQ=$(t_free_port)
cat > sdnsd.json <<JSON
{"resolver_addr": ["127.0.0.1:$UB_TLS"], "resolver_pin": ["$STALE", "$PIN"],
 "resolver_fqdn": "resolver.test", "resolver_ca": "$T_DIR/ca.pem"}
JSON
t_bg sdnsd "$BIN/sdnsd" --config sdnsd.json --doq-listen "127.0.0.1:$DOQ" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--zone-file zone.txt --workers 1 --address 127.0.0.1 --port "$STUB" \
	--timeout 2 --stub-tcp-idle-ms 2000 --rate-limit 50 --rate-burst 100
SDNSD_PID=$!
t_ok "sdnsd starts the stub" t_wait_log sdnsd.log 'event=stub_started' 10

d() { dig -p "$STUB" @127.0.0.1 +tries=1 +time=5 "$@"; }
t_eq "forwarded through DoT (pin set: one stale + one good pin)" "192.0.2.1" "$(d +short a.test A)"

# A second sdnsd on the stub port the first holds (UDP and TCP) is refused
# before event=started instead of joining its SO_REUSEPORT group.
out=$(timeout 20 "$BIN/sdnsd" --config sdnsd.json --doq-listen "127.0.0.1:$(t_free_port)" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--zone-file zone.txt --workers 1 --address 127.0.0.1 --port "$STUB" 2>&1); rc=$?
t_eq "a second sdnsd on the held stub port exits 1" "1" "$rc"
t_match "naming the option, the address and the cause" \
	"start_failed .*--stub-listen: cannot listen on 127.0.0.1:$STUB: address already in use" "$out"
t_eq "and never logs event=started" "0" "$(echo "$out" | grep -c 'event=started')"
ok=0
for i in $(seq 100); do [ "$(d +short a.test A)" = 192.0.2.1 ] && ok=$((ok + 1)); done
t_eq "the first still answers 100 of 100 stub queries" "100" "$ok"
HELD=$(t_free_port)
$PY -c 'import socket, sys, time
t = socket.socket(); t.bind(("127.0.0.1", int(sys.argv[1]))); t.listen()
open("held", "w").close(); time.sleep(30)' "$HELD" &
HOLDER=$!
for i in $(seq 100); do [ -e held ] && break; sleep 0.1; done
out=$(timeout 20 "$BIN/sdnsd" --config sdnsd.json --doq-listen "127.0.0.1:$(t_free_port)" \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--zone-file zone.txt --workers 1 --address 127.0.0.1 --port "$HELD" 2>&1); rc=$?
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
t_eq "a stub port held by a plain TCP listener is refused with exit 1" "1" "$rc"
t_match "as address already in use" "cannot listen on 127.0.0.1:$HELD: address already in use" "$out"
before=$(ub_queries)
for i in 1 2 3 4 5; do d +short a.test A >/dev/null; done
t_eq "a cached name does not reach the upstream again" "$before" "$(ub_queries)"
t_eq "local zone answered by sdnsd (not unbound)" "10.0.0.7" "$(d +short api.node-alpha.mesh A)"
t_match "local answer is authoritative" 'flags: qr aa' "$(d api.node-alpha.mesh A)"
t_match "ANY gets the RFC 8482 HINFO" 'HINFO[[:space:]]+"RFC8482"' "$(d a.test ANY)"

out=$(d +noedns +ignore big.test TXT 2>&1)
t_match "UDP answer over 512 without EDNS is truncated (TC)" 'flags: qr[a-z ]* tc' "$out"
out=$(d +bufsize=4096 big.test TXT)
t_match "with EDNS 4096 the whole answer comes over UDP" 'ANSWER: 40,' "$out"
out=$(d +tcp +noedns big.test TXT)
t_match "and over TCP without EDNS" 'ANSWER: 40,' "$out"

names=(); for i in $(seq 1 20); do names+=("n$i.test"); done
out=$(d +tcp +keepopen +short "${names[@]}")
t_eq "TCP: 20 queries on one kept-open connection all answered" "20" "$(echo "$out" | grep -c '^192\.0\.2\.')"

out=$(printf '\xab\xcd\x01\x00\x00\x01' | $PY -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(sys.stdin.buffer.read(), ("127.0.0.1", '"$STUB"'))
print(s.recv(512).hex())')
t_eq "malformed packet gets FORMERR (bytes)" "abcd81810000000000000000" "$out"


# Wrong pin: rotate to a pin set without the server's key (SIGHUP).
cat > sdnsd.json <<JSON
{"resolver_addr": ["127.0.0.1:$UB_TLS"], "resolver_pin": ["$STALE"],
 "resolver_fqdn": "resolver.test", "resolver_ca": "$T_DIR/ca.pem"}
JSON
kill -HUP "$SDNSD_PID"
t_ok "SIGHUP reloads the resolver settings" t_wait_log sdnsd.log 'event=resolver_reloaded' 10
before=$(ub_queries)
out=$(d w1.test A +bufsize=1232)
t_match "wrong pin: SERVFAIL" 'status: SERVFAIL' "$out"
t_match "with an extended DNS error" 'EDE: 2[23]' "$out"
t_eq "and nothing was sent upstream" "$before" "$(ub_queries)"
t_ok "the mismatch is logged with the presented pin" grep -qF "event=upstream_pin_mismatch upstream=127.0.0.1:$UB_TLS presented_pin=$PIN" sdnsd.log

# Wrong name.
cat > sdnsd.json <<JSON
{"resolver_addr": ["127.0.0.1:$UB_TLS"], "resolver_pin": ["$PIN"],
 "resolver_fqdn": "other.test", "resolver_ca": "$T_DIR/ca.pem"}
JSON
kill -HUP "$SDNSD_PID"; sleep 0.3
t_match "wrong fqdn: SERVFAIL" 'status: SERVFAIL' "$(d w2.test A)"

# Good again; then the upstream goes down and comes back.
cat > sdnsd.json <<JSON
{"resolver_addr": ["127.0.0.1:$UB_TLS"], "resolver_pin": ["$PIN"],
 "resolver_fqdn": "resolver.test", "resolver_ca": "$T_DIR/ca.pem"}
JSON
kill -HUP "$SDNSD_PID"; sleep 0.3
t_eq "good pin after SIGHUP: answered" "198.51.100.3" "$(d +short w3.test A)"
kill "$UB_PID"; wait "$UB_PID" 2>/dev/null
start=$(date +%s%N)
out=$(d w4.test A)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_match "upstream down: SERVFAIL" 'status: SERVFAIL' "$out"
t_ok "within the 2 s timeout (took ${ms} ms)" test "$ms" -lt 2900
start_unbound
ok=""
for i in $(seq 1 40); do
	[ "$(d +short w5.test A)" = "198.51.100.5" ] && { ok=1; break; }
	sleep 0.25
done
t_eq "recovery when the upstream returns" "1" "$ok"

# Rate limit: 50 q/s, burst 100 (the whole test above stayed under it).
out=$($PY - "$STUB" <<'PY'
import socket, sys, dns.message
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
q = dns.message.make_query("api.node-alpha.mesh", "A")
full = tc = 0
s.settimeout(0.3)
for batch in range(6):   # in batches, so our receive buffer never overflows
    for i in range(50):
        q.id = batch * 50 + i; s.sendto(q.to_wire(), ("127.0.0.1", port))
    try:
        while True:
            m = dns.message.from_wire(s.recv(4096))
            if m.flags & dns.flags.TC: tc += 1
            else: full += 1
    except socket.timeout:
        pass
print(full < 300 and tc > 0, full, tc)
PY
)
t_match "rate limit applied: fewer answers than queries, some slipped (TC)" '^True' "$out"
sleep 1.5
t_eq "and lifted after a pause" "10.0.0.7" "$(d +short api.node-alpha.mesh A)"

kill -TERM "$SDNSD_PID"; wait "$SDNSD_PID"; rc=$?
t_eq "SIGTERM stops sdnsd cleanly" "0" "$rc"

out=$("$BIN/sdnsd" --tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--zone-file zone.txt --resolver-addr 127.0.0.1:1 --resolver-pin nonsense 2>&1); rc=$?
t_eq "a malformed pin stops the start (exit 1)" "1" "$rc"
t_done
