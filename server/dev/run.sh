#!/usr/bin/env bash
# `make run`: a development node under ./var — a private PostgreSQL cluster
# (var/pg, Unix socket only), a dev PKI (var/pki), sdnsd with DoQ on
# 127.0.0.1:8853, the management API on https://127.0.0.1:8443 and the
# plain-DNS stub on 127.0.0.1:5353 (SDNS_*_PORT change the ports). The
# example zone is imported on first start. The migrations are applied as
# the owner role before sdnsd starts as the runtime role. Ctrl-C stops sdnsd and PostgreSQL.
# Delete ./var to start over.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${BIN:-bin}
VAR=${SDNS_VAR:-var}
DOQ_PORT=${SDNS_DOQ_PORT:-8853}
API_PORT=${SDNS_API_PORT:-8443}
STUB_PORT=${SDNS_STUB_PORT:-5353}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)

# P-256, not the Ed25519 default: browsers do not accept Ed25519
# certificates in TLS (Chromium closes the handshake), so the admin console
# could not even be reached. The audit chain has its own Ed25519 seed,
# var/pki/audit.key (pki init writes it; its public key is audit.pub).
if [ ! -f "$VAR/pki/ca.key" ]; then
	"$BIN/sdnsctl" pki init --dir "$VAR/pki" --mesh dev.mesh --node dev-node \
		--san localhost --san 127.0.0.1 --san ::1 --alg p256 >/dev/null
fi
if openssl pkey -in "$VAR/pki/node.key" -noout -text 2>/dev/null | head -1 | grep -qi ed25519; then
	echo "note: $VAR/pki is Ed25519, which browsers refuse in TLS; delete $VAR for a P-256 PKI to use the console" >&2
fi
# A var/ made before pki init wrote one: a seed of its own now.
[ -f "$VAR/pki/audit.key" ] || (umask 077; head -c 32 /dev/urandom > "$VAR/pki/audit.key")
audit=(--audit-key "$VAR/pki/audit.key" --state-dir "$VAR/pki")
# The node's zone key: every zone it serves is signed (DNSSEC, Ed25519).
[ -f "$VAR/pki/zone.key" ] || "$BIN/sdnsctl" pki zonekey --out "$VAR/pki" >/dev/null
# Two database roles (README "Database roles"): sdns_owner owns the tables
# and applies the migrations, here and now; sdnsd runs as sdns_app, which
# owns nothing, so it cannot switch off the audit's append-only triggers.
conninfo=$(server/dev/pg.sh start "$VAR/pg")
# the daemon's log goes to a file, so the usage block below is the last
# thing on the terminal
LOG=$VAR/sdnsd.log
BIN=$BIN server/dev/migrate.sh "$conninfo" >"$LOG" 2>&1 || { cat "$LOG"; exit 1; }

"$BIN/sdnsd" --db "$conninfo" --doq-listen "127.0.0.1:$DOQ_PORT" \
	--api-listen "127.0.0.1:$API_PORT" --public-url "https://localhost:$API_PORT" \
	--tls-cert "$VAR/pki/node.pem" --tls-key "$VAR/pki/node.key" \
	--tls-ca "$VAR/pki/ca.pem" --ca-key "$VAR/pki/ca.key" "${audit[@]}" --mesh dev.mesh \
	--zone-key "$VAR/pki/zone.key" \
	--stub-listen "127.0.0.1:$STUB_PORT" --migrations "$ROOT/migrations" \
	${SDNS_RUN_ARGS:-} >>"$LOG" 2>&1 &
SDNSD=$!
stop() {
	kill "$SDNSD" 2>/dev/null || true
	wait "$SDNSD" 2>/dev/null || true
	server/dev/pg.sh stop "$VAR/pg"
}
trap stop EXIT
trap 'exit 0' INT TERM

api=(--api "https://localhost:$API_PORT" --ca "$VAR/pki/ca.pem"
	--cert "$VAR/pki/admin.pem" --key "$VAR/pki/admin.key")
for _ in $(seq 100); do
	"$BIN/sdnsctl" zone list "${api[@]}" >/dev/null 2>&1 && break
	kill -0 "$SDNSD" 2>/dev/null || { echo "sdnsd did not start; its log ($LOG):" >&2; tail -20 "$LOG" >&2; exit 1; }
	sleep 0.1
done
if ! "$BIN/sdnsctl" zone list "${api[@]}" 2>/dev/null | grep -q node-alpha.mesh; then
	"$BIN/sdnsctl" zone create node-alpha.mesh "${api[@]}" >/dev/null
	"$BIN/sdnsctl" zone import node-alpha.mesh server/dev/node-alpha.mesh.zone "${api[@]}" >/dev/null
fi

# Older var/ trees predate admin.p12: make it from the admin's PEM files.
if [ ! -f "$VAR/pki/admin.p12" ] && command -v openssl >/dev/null; then
	openssl pkcs12 -export -in "$VAR/pki/admin.pem" -inkey "$VAR/pki/admin.key" \
		-certfile "$VAR/pki/ca.pem" -name admin -passout pass: \
		-out "$VAR/pki/admin.p12" 2>/dev/null || true
fi

cat <<TXT

secure_dns development node is running (Ctrl-C stops it)
  Log                         $LOG (tail -f it)
  DoQ (RFC 9250, mutual TLS)  127.0.0.1:$DOQ_PORT
  API (mutual TLS)            https://localhost:$API_PORT
  Admin console (browser)     https://localhost:$API_PORT/ (needs admin.p12, below)
  Stub (plain DNS, loopback)  127.0.0.1:$STUB_PORT (no upstream: add one with
                              SDNS_RUN_ARGS="--resolver-addr IP:853 --resolver-fqdn NAME --resolver-pin PIN")
  PostgreSQL                  $conninfo
                              (sdnsd's role sdns_app; the tables' owner, which
                              applied the migrations: sdns_owner)
  PKI                         $VAR/pki (ca.pem, node.pem, admin.pem/.key)
  Browser certificate         $VAR/pki/admin.p12 (empty password). Import it
                              in the browser's certificate settings (Chromium:
                              Settings > Privacy and security > Security >
                              Manage certificates > Your certificates > Import;
                              Firefox: Settings > Privacy & Security >
                              Certificates > View Certificates > Your
                              Certificates > Import), then import
                              $VAR/pki/ca.pem under Authorities, trusted to
                              identify websites. Open the console URL and pick
                              the admin certificate when asked.

Try:
  dig @127.0.0.1 -p $STUB_PORT www.node-alpha.mesh
  dig @127.0.0.1 -p $STUB_PORT +dnssec nothere.node-alpha.mesh   (signed, RFC 9824 denial)
  curl --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key --cacert $VAR/pki/ca.pem \\
       https://localhost:$API_PORT/zones
  $BIN/sdnsctl record add node-alpha.mesh new.node-alpha.mesh A 10.0.0.9 ${api[*]}
  $BIN/sdnsctl query --server 127.0.0.1:$DOQ_PORT --server-name localhost \\
       --ca $VAR/pki/ca.pem --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key new.node-alpha.mesh \\
       --dnssec --validate --zone-key-pub $VAR/pki/zone.pub
TXT
wait "$SDNSD"
