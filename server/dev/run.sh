#!/usr/bin/env bash
# `make run`: a development node under ./var — a private PostgreSQL cluster
# (var/pg, Unix socket only), a dev PKI (var/pki) for node node-alpha of
# mesh `mesh`, sdnsd with DoQ on 127.0.0.1:8853, the management API on
# https://127.0.0.1:8443 and the plain-DNS stub on 127.0.0.1:5353
# (SDNS_*_PORT change the ports, SDNS_VAR the state directory). The node's
# own zone node-alpha.mesh (<node>.<mesh>, the zone the mesh rule gives it)
# is imported on first start. The migrations are applied as the owner role
# before sdnsd starts as the runtime role. Ctrl-C, or `make stop` from
# another terminal, stops sdnsd, and PostgreSQL unless another `make run`
# still uses it (server/dev/pg.sh acquire/release). Delete ./var to start
# over.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${BIN:-bin}
VAR=${SDNS_VAR:-var}
DOQ_PORT=${SDNS_DOQ_PORT:-8853}
API_PORT=${SDNS_API_PORT:-8443}
STUB_PORT=${SDNS_STUB_PORT:-5353}
mkdir -p "$VAR/runs"
VAR=$(cd "$VAR" && pwd)

# One run per API port and state directory: $VAR/runs/PORT holds the pid of
# the run.sh that serves it (`make stop` reads them). A second run on the
# same ports would only fail on the held ports, after clobbering the
# first one's log: say so before touching anything.
RUNFILE=$VAR/runs/$API_PORT
if [ -f "$RUNFILE" ] && other=$(cat "$RUNFILE") && kill -0 "$other" 2>/dev/null; then
	cat >&2 <<TXT
make run: already running with $VAR on API port $API_PORT (pid $other).
  Stop it:            make stop${SDNS_VAR:+ SDNS_VAR=$SDNS_VAR}
  Or a second node beside it, with its own state and ports:
    SDNS_VAR=var2 SDNS_API_PORT=$((API_PORT + 1)) SDNS_DOQ_PORT=$((DOQ_PORT + 1)) SDNS_STUB_PORT=$((STUB_PORT + 1)) make run
TXT
	exit 1
fi
echo $$ >"$RUNFILE"
SDNSD=
stop() {
	if [ -n "$SDNSD" ]; then
		kill "$SDNSD" 2>/dev/null || true
		wait "$SDNSD" 2>/dev/null || true
	fi
	[ ! -d "$VAR/pg" ] || server/dev/pg.sh release "$VAR/pg" $$
	[ "$(cat "$RUNFILE" 2>/dev/null)" != $$ ] || rm -f "$RUNFILE"
}
trap stop EXIT
trap 'exit 0' INT TERM HUP
LOG=$VAR/sdnsd.log
[ "$API_PORT" = 8443 ] || LOG=$VAR/sdnsd-$API_PORT.log

# P-256, not the Ed25519 default: browsers do not accept Ed25519
# certificates in TLS (Chromium closes the handshake), so the admin console
# could not even be reached. The audit chain has its own Ed25519 seed,
# var/pki/audit.key (pki init writes it; its public key is audit.pub).
if [ ! -f "$VAR/pki/ca.key" ]; then
	"$BIN/sdnsctl" pki init --dir "$VAR/pki" --mesh mesh --node node-alpha \
		--san localhost --san 127.0.0.1 --san ::1 --alg p256 >/dev/null
fi
if openssl pkey -in "$VAR/pki/node.key" -noout -text 2>/dev/null | head -1 | grep -qi ed25519; then
	echo "note: $VAR/pki is Ed25519, which browsers refuse in TLS; delete $VAR for a P-256 PKI to use the console" >&2
fi
# The node's mesh and name, from its certificate: a var/ of an older make
# run was made for dev-node in dev.mesh and keeps working as that.
spiffe=$(openssl x509 -in "$VAR/pki/node.pem" -noout -ext subjectAltName 2>/dev/null |
	grep -o 'spiffe://[^,[:space:]]*' | head -1)
MESH=${spiffe#spiffe://}; MESH=${MESH%%/*}
NODE=${spiffe##*/}
[ -n "$MESH" ] && [ -n "$NODE" ] || { echo "make run: no spiffe:// URI in $VAR/pki/node.pem; delete $VAR to start over" >&2; exit 1; }
ZONE=$NODE.$MESH
if [ "$NODE" != node-alpha ] || [ "$MESH" != mesh ]; then
	echo "note: $VAR/pki is for node $NODE of mesh $MESH (an older make run); its own zone is $ZONE, not node-alpha.mesh; delete $VAR for node-alpha of mesh mesh" >&2
fi
# A var/ made before pki init wrote one: a seed of its own now.
[ -f "$VAR/pki/audit.key" ] || (umask 077; head -c 32 /dev/urandom > "$VAR/pki/audit.key")
audit=(--audit-key "$VAR/pki/audit.key" --state-dir "$VAR/pki")
# The node's zone key: every zone it serves is signed (DNSSEC, Ed25519).
[ -f "$VAR/pki/zone.key" ] || "$BIN/sdnsctl" pki zonekey --out "$VAR/pki" >/dev/null
# Two database roles (README "Database roles"): sdns_owner owns the tables
# and applies the migrations, here and now; sdnsd runs as sdns_app, which
# owns nothing, so it cannot switch off the audit's append-only triggers.
conninfo=$(server/dev/pg.sh acquire "$VAR/pg" $$)
# the daemon's log goes to a file, so the usage block below is the last
# thing on the terminal
BIN=$BIN server/dev/migrate.sh "$conninfo" >"$LOG" 2>&1 || { cat "$LOG"; exit 1; }

"$BIN/sdnsd" --db "$conninfo" --doq-listen "127.0.0.1:$DOQ_PORT" \
	--api-listen "127.0.0.1:$API_PORT" --public-url "https://localhost:$API_PORT" \
	--tls-cert "$VAR/pki/node.pem" --tls-key "$VAR/pki/node.key" \
	--tls-ca "$VAR/pki/ca.pem" --ca-key "$VAR/pki/ca.key" "${audit[@]}" --mesh "$MESH" \
	--zone-key "$VAR/pki/zone.key" \
	--stub-listen "127.0.0.1:$STUB_PORT" --migrations "$ROOT/migrations" \
	${SDNS_RUN_ARGS:-} >>"$LOG" 2>&1 &
SDNSD=$!

api=(--api "https://localhost:$API_PORT" --ca "$VAR/pki/ca.pem"
	--cert "$VAR/pki/admin.pem" --key "$VAR/pki/admin.key")
for _ in $(seq 100); do
	"$BIN/sdnsctl" zone list "${api[@]}" >/dev/null 2>&1 && break
	if ! kill -0 "$SDNSD" 2>/dev/null; then
		echo "sdnsd did not start; its log ($LOG):" >&2; tail -20 "$LOG" >&2
		if grep -q "already in use" "$LOG"; then
			echo "another program holds a port: pick others with SDNS_DOQ_PORT, SDNS_API_PORT and SDNS_STUB_PORT (and SDNS_VAR=DIR for a node with its own state)" >&2
		fi
		exit 1
	fi
	sleep 0.1
done
if ! "$BIN/sdnsctl" zone list "${api[@]}" 2>/dev/null | grep -q "^$ZONE\b"; then
	"$BIN/sdnsctl" zone create "$ZONE" "${api[@]}" >/dev/null
	sed "s/node-alpha\.mesh/$ZONE/g" server/dev/node-alpha.mesh.zone |
		"$BIN/sdnsctl" zone import "$ZONE" - "${api[@]}" >/dev/null
fi

# Older var/ trees predate admin.p12: make it from the admin's PEM files.
if [ ! -f "$VAR/pki/admin.p12" ] && command -v openssl >/dev/null; then
	openssl pkcs12 -export -in "$VAR/pki/admin.pem" -inkey "$VAR/pki/admin.key" \
		-certfile "$VAR/pki/ca.pem" -name admin -passout pass: \
		-out "$VAR/pki/admin.p12" 2>/dev/null || true
fi

cat <<TXT

secure_dns development node $NODE (mesh $MESH) is running
  Stop                        Ctrl-C, or \`make stop${SDNS_VAR:+ SDNS_VAR=$SDNS_VAR}\` from another terminal
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
  dig @127.0.0.1 -p $STUB_PORT www.$ZONE
  dig @127.0.0.1 -p $STUB_PORT +dnssec nothere.$ZONE   (signed, RFC 9824 denial)
  curl --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key --cacert $VAR/pki/ca.pem \\
       https://localhost:$API_PORT/zones
  $BIN/sdnsctl record add $ZONE new.$ZONE A 10.0.0.9 ${api[*]}
  $BIN/sdnsctl query --server 127.0.0.1:$DOQ_PORT --server-name localhost \\
       --ca $VAR/pki/ca.pem --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key new.$ZONE \\
       --dnssec --validate --zone-key-pub $VAR/pki/zone.pub
TXT
wait "$SDNSD"
