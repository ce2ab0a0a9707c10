#!/bin/sh
# One sdnsd node of docker-compose.yml: its own database, its own node
# certificate and zone key from the pki volume (read-only), its state (audit
# key, peers' audit heads, mesh marks) in its own volume on /var/lib/sdns,
# the runtime database role sdns_app (the migrate job has applied the
# migrations as the owner). Extra arguments go to sdnsd.
set -eu
: "${SDNS_NODE:?SDNS_NODE is the node name}"
: "${SDNS_DB_NAME:?SDNS_DB_NAME is the node database}"
MESH=${SDNS_MESH:-mesh}
P=/pki/$SDNS_NODE
exec /opt/sdns/bin/sdnsd \
	--db "host=${SDNS_DB_HOST:-postgres} dbname=$SDNS_DB_NAME user=sdns_app password=${SDNS_DB_PASSWORD:-}" \
	--doq-listen 0.0.0.0:8853 --api-listen 0.0.0.0:8443 \
	--stub-listen 0.0.0.0:5353 --public-url "https://$SDNS_NODE:8443" \
	--tls-cert "$P/node.pem" --tls-key "$P/node.key" --tls-ca /pki/ca.pem \
	--mesh "$MESH" --zone-key "$P/zone.key" \
	--state-dir /var/lib/sdns --mesh-state /var/lib/sdns/mesh-state \
	--migrations /opt/sdns/migrations "$@"
