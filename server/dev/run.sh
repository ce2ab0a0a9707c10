#!/usr/bin/env bash
# `make run`: a development sdnsd under ./var with its own PKI and an example
# zone. Everything it creates stays under ./var (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
VAR=${SDNS_VAR:-var}
PORT=${SDNS_DOQ_PORT:-8853}
mkdir -p "$VAR/zones"

if [ ! -f "$VAR/pki/ca.key" ]; then
	"$BIN/sdnsctl" pki init --dir "$VAR/pki" --mesh dev.mesh --node dev-node \
		--san localhost --san 127.0.0.1 --san ::1
fi
zone="$VAR/zones/node-alpha.mesh.zone"
[ -f "$zone" ] || cp server/dev/node-alpha.mesh.zone "$zone"

cat <<TXT
secure_dns development server
  DoQ (RFC 9250, mutual TLS): 127.0.0.1:$PORT   zone: $zone
  PKI: $VAR/pki (ca.pem, node.pem, admin.pem/.key, admin.p12 for a browser)
  Ask it:
    $BIN/sdnsctl query --server 127.0.0.1:$PORT --ca $VAR/pki/ca.pem \\
        --cert $VAR/pki/admin.pem --key $VAR/pki/admin.key www.node-alpha.mesh A
  Reload the zone after editing: kill -HUP \$(cat $VAR/sdnsd.pid)
  Stop: Ctrl-C
TXT
echo $$ > "$VAR/sdnsd.pid"
exec "$BIN/sdnsd" --doq-listen "127.0.0.1:$PORT" \
	--tls-cert "$VAR/pki/node.pem" --tls-key "$VAR/pki/node.key" \
	--tls-ca "$VAR/pki/ca.pem" --mesh dev.mesh --zone-file "$zone"
