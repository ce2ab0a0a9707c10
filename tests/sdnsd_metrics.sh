#!/usr/bin/env bash
# End-to-end /metrics: sdnsd in store mode with the stub in front of a real
# unbound over DNS-over-TLS. Queries over UDP, TCP and DoQ, a cache hit and a
# miss, and an upstream query must each move their counters by exactly what
# was sent; the text must be valid Prometheus exposition.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_metrics
cd "$T_DIR"
chmod 755 "$T_DIR"

# unbound with DoT and one local name, behind a throw-away certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=test-ca -keyout ub-ca.key -out ub-ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=resolver.test -keyout ub.key -out ub.csr 2>/dev/null
printf 'subjectAltName=DNS:resolver.test,IP:127.0.0.1\n' > san.ext
openssl x509 -req -in ub.csr -CA ub-ca.pem -CAkey ub-ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out ub.pem 2>/dev/null
PIN=$(openssl pkey -in ub.key -pubout -outform der 2>/dev/null | openssl dgst -sha256 -binary | base64)
UB=$(t_free_port)
cat > unbound.conf <<CONF
server:
  username: ""
  chroot: ""
  directory: "$T_DIR"
  pidfile: "$T_DIR/unbound.pid"
  use-syslog: no
  do-daemonize: no
  num-threads: 1
  do-ip6: no
  interface: 127.0.0.1@$UB
  tls-port: $UB
  tls-service-key: "$T_DIR/ub.key"
  tls-service-pem: "$T_DIR/ub.pem"
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "test." static
  local-data: "test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 300"
  local-data: "a.test. 300 IN A 192.0.2.1"
CONF
t_bg unbound /usr/sbin/unbound -d -c unbound.conf

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 >/dev/null
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
trap '"$ROOT/server/dev/pg.sh" stop "$T_DIR/pg" >/dev/null 2>&1; t_cleanup' EXIT
"$ROOT/server/dev/migrate.sh" "$CONNINFO" >"$T_DIR/migrate.log" 2>&1 || { cat "$T_DIR/migrate.log"; exit 1; }
DOQ=$(t_free_port); API=$(t_free_port); STUB=$(t_free_port)
t_bg sdnsd "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
	--api-listen "127.0.0.1:$API" --stub-listen "127.0.0.1:$STUB" \
	--resolver-addr "127.0.0.1:$UB" --resolver-fqdn resolver.test \
	--resolver-pin "$PIN" --resolver-ca ub-ca.pem \
	--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem \
	--mesh test.mesh --migrations "$ROOT/migrations"
t_ok "sdnsd starts with the stub and the API" t_wait_log sdnsd.log 'event=api_ready' 15
URL="https://localhost:$API"
cu() { curl -sS --cacert pki/ca.pem --cert "pki/$1.pem" --key "pki/$1.key" "${@:2}"; }
cu admin -X POST "$URL/zones/node-alpha.mesh" >/dev/null
cu admin -X POST -H 'Content-Type: application/json' \
	--data '{"name":"www.node-alpha.mesh","type":"A","value":"10.0.0.5"}' \
	"$URL/zones/node-alpha.mesh/records" >/dev/null
for _ in $(seq 50); do
	[ "$(dig +short -p "$STUB" @127.0.0.1 www.node-alpha.mesh A)" = 10.0.0.5 ] && break; sleep 0.1
done

metrics() { cu "${1:-admin}" "$URL/metrics"; }
# val TEXT NAME{LABELS}: the sample's value (0 when absent)
val() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'; }
before=$(metrics)

for i in 1 2 3; do dig +short -p "$STUB" @127.0.0.1 www.node-alpha.mesh A >/dev/null; done
for i in 1 2; do dig +short +tcp -p "$STUB" @127.0.0.1 www.node-alpha.mesh A >/dev/null; done
dig +short -p "$STUB" @127.0.0.1 a.test A >/dev/null   # forwarded: cache miss
dig +short -p "$STUB" @127.0.0.1 a.test A >/dev/null   # cache hit
"$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
	--cert pki/app1.pem --key pki/app1.key www.node-alpha.mesh A >/dev/null
after=$(metrics)

d() { echo $(( $(val "$after" "$1") - $(val "$before" "$1") )); }
t_eq "UDP queries counted (5 = 3 local + 2 forwarded)" 5 "$(d 'sdns_queries_total{transport="udp"}')"
t_eq "TCP queries counted" 2 "$(d 'sdns_queries_total{transport="tcp"}')"
t_eq "NOERROR responses over UDP counted" 5 "$(d 'sdns_responses_total{transport="udp",rcode="NOERROR"}')"
t_eq "the DoQ query is counted" 1 "$(d 'sdns_doq_queries_total')"
t_eq "one cache miss, one hit for the forwarded name" "1 1" "$(d 'sdns_cache_misses_total') $(d 'sdns_cache_hits_total')"
t_eq "one query went upstream" 1 "$(d "sdns_upstream_queries_total{upstream=\"127.0.0.1:$UB\"}")"
t_eq "the UDP latency histogram counted 5" 5 "$(d 'sdns_query_duration_seconds_count{transport="udp"}')"
t_match "histograms end with le=\"+Inf\"" 'sdns_query_duration_seconds_bucket\{transport="udp",le="\+Inf"\} [0-9]+' "$after"
t_match "every sample line is well-formed" '^ok$' "$(printf '%s\n' "$after" | awk '
	/^# (HELP|TYPE) / { next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+(Inf)?$/ { next }
	{ bad = 1; print "bad line: " $0 }
	END { if (!bad) print "ok" }')"
t_eq "a client may read /metrics" 200 "$(cu app1 -o /dev/null -w '%{http_code}' "$URL/metrics")"
t_eq "without a certificate: 401" 401 "$(curl -sS --cacert pki/ca.pem -o /dev/null -w '%{http_code}' "$URL/metrics")"
t_done
