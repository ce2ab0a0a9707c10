#!/bin/sh
# One-shot job after the nodes are healthy: on every node, register the
# other nodes as peers (certificate, DoQ endpoint, zone key), create the
# node's own zone <node>.<mesh> and a first name in it, www.<node>.<mesh>
# (192.0.2.N for the Nth node). Safe to run again (409s are expected
# then). With arguments, runs them instead, as admin (an sdnsctl shell).
set -eu
export SDNS_CA=/pki/ca.pem SDNS_CERT=/pki/admin.pem SDNS_KEY=/pki/admin.key
[ $# -eq 0 ] || exec "$@"
MESH=${SDNS_MESH:-mesh}
NODES=${SDNS_NODES:-node-alpha node-beta node-gamma}
i=0
for n in $NODES; do
	i=$((i + 1))
	for p in $NODES; do
		[ "$p" = "$n" ] && continue
		sdnsctl peer add --api "https://$n:8443" --peer-cert "/pki/$p/node.pem" \
			--endpoint "$p:8853" --zone-key "/pki/$p/zone.pub" || true
	done
	sdnsctl zone create "$n.$MESH" --api "https://$n:8443" || true
	sdnsctl record add "$n.$MESH" "www.$n.$MESH" A "192.0.2.$i" --api "https://$n:8443" || true
done
echo "mesh-init: peers registered and zones created on: $NODES"
