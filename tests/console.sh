#!/usr/bin/env bash
# The admin console in a real browser: PostgreSQL, sdnsd in store mode with
# the API serving web/, and Debian's chromium driven by playwright-core
# (tests/browser/console.mjs) with the admin client certificate. The
# scenario of issue 6: dashboard, zone and record created and answered over
# DoQ, a field error, a curl change arriving through SSE, a token, a peer
# enrolled and revoked, the audit verifying; a browser without a certificate
# gets nothing. Screenshots go to build/screenshots/.
. "$(dirname "$0")/lib/shtest.sh"
t_setup console
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_DIR="$ROOT/tests/browser"
SHOTS="$ROOT/${B:-build}/screenshots"

# Prerequisites: chromium (a Debian package, in `make deps`) and
# playwright-core (npm, pinned by package-lock.json; no browser download).
if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "  installing chromium (apt-get)"
	apt-get install -y -q chromium >"$T_DIR/apt.log" 2>&1 || tail -5 "$T_DIR/apt.log"
fi
t_ok "chromium is installed ($CHROMIUM)" test -x "$CHROMIUM"
t_ok "node 20 or later is installed (playwright-core needs it)" \
	node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'
if [ ! -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
	echo "  installing playwright-core (npm ci)"
	(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T_DIR/npm.log" 2>&1 || tail -5 "$T_DIR/npm.log"
fi
t_ok "playwright-core is installed" test -f "$BROWSER_DIR/node_modules/playwright-core/package.json"
if [ "$T_FAIL" -ne 0 ]; then t_done; exit 1; fi

# P-256, as a browser needs: Chromium's TLS (BoringSSL) has no Ed25519 for
# certificates, so with the Ed25519 default a real browser cannot even
# finish the handshake. The audit chain keeps its own Ed25519 key.
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv --alg p256 >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role client --name app1 --alg p256 >/dev/null
head -c 32 /dev/urandom > pki/audit.key && chmod 600 pki/audit.key
# signed zones, as make run serves them: the DNSSEC records the node adds
# must not change what the console calls records
"$BIN/sdnsctl" pki zonekey --out pki >/dev/null

PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
pg_stop() { "$ROOT/server/dev/pg.sh" stop "$T_DIR/pg"; }
trap 'pg_stop >/dev/null 2>&1; t_cleanup' EXIT
"$ROOT/server/dev/migrate.sh" "$CONNINFO" >"$T_DIR/migrate.log" 2>&1 || { cat "$T_DIR/migrate.log"; exit 1; }

DOQ=$(t_free_port); API=$(t_free_port); STUB=$(t_free_port)
t_bg sdnsd "$BIN/sdnsd" --db "$CONNINFO" --doq-listen "127.0.0.1:$DOQ" \
	--api-listen "127.0.0.1:$API" --tls-cert pki/node.pem --tls-key pki/node.key \
	--tls-ca pki/ca.pem --ca-key pki/ca.key --audit-key pki/audit.key --mesh test.mesh --zone-key pki/zone.key \
	--public-url "https://localhost:$API" --web-root "$ROOT/web" --stub-listen "127.0.0.1:$STUB" \
	--migrations "$ROOT/migrations" --log-level debug
t_ok "sdnsd starts in store mode with the console" t_wait_log sdnsd.log 'event=api_ready' 15

# The browser origin must be exactly what the client certificate is bound to.
rm -rf "$SHOTS"
out=$(cd "$BROWSER_DIR" && NODE_EXTRA_CA_CERTS="$T_DIR/pki/ca.pem" CONSOLE_URL="https://localhost:$API" \
	PKI="$T_DIR/pki" CONNINFO="$CONNINFO user=sdns_owner" BIN="$BIN" DOQ_PORT="$DOQ" STUB_PORT="$STUB" SHOTS="$SHOTS" CHROMIUM="$CHROMIUM" T_DIR="$T_DIR" \
	timeout 300 node console.mjs 2>&1)
rc=$?
echo "$out" | grep -v '^console.mjs: '
T_PASS=$((T_PASS + $(echo "$out" | grep -c '^  ok   ')))
T_FAIL=$((T_FAIL + $(echo "$out" | grep -c '^  FAIL ')))
if [ "$rc" -ne 0 ] && ! echo "$out" | grep -q '^  FAIL '; then
	t_fail "console.mjs exited $rc" "$out"
fi
n=$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)
t_ok "screenshots of each page are in ${SHOTS#"$ROOT"/} ($n)" test "$n" -ge 8
t_done
