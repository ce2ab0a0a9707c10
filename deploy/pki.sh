#!/bin/sh
# One-shot PKI job (docker-compose.yml): the mesh CA, one node certificate
# per node (SAN = its compose service name), the admin certificate and one
# zone key per node, under /pki. Idempotent: an existing CA is kept.
set -eu
MESH=${SDNS_MESH:-mesh}
NODES=${SDNS_NODES:-node-alpha node-beta node-gamma}
first=${NODES%% *}
umask 077
if [ ! -f /pki/ca.key ]; then
	sdnsctl pki init --dir /pki --mesh "$MESH" --node "$first" \
		--san "$first" --san localhost --san 127.0.0.1
fi
for n in $NODES; do
	mkdir -p "/pki/$n"
	if [ ! -f "/pki/$n/node.pem" ]; then
		if [ "$n" = "$first" ]; then
			cp /pki/node.pem /pki/node.key "/pki/$n/"
		else
			sdnsctl pki issue --dir /pki --role node --name "$n" \
				--san "$n" --san localhost --san 127.0.0.1 --out "/pki/$n/node"
		fi
	fi
	[ -f "/pki/$n/zone.key" ] || sdnsctl pki zonekey --out "/pki/$n"
done
# What each node may hold, on a volume of its own mounted at /out/<node>
# (the node mounts it as /pki): the CA certificate, its own certificate,
# key and zone key, and its peers' public parts (certificate, zone key).
# Never the CA key, the admin key or another node's keys: a node taken
# over cannot issue certificates or speak as anyone else.
for n in $NODES; do
	out=/out/$n
	[ -d "$out" ] || continue
	rm -rf "${out:?}"/* 2>/dev/null || true
	cp /pki/ca.pem "$out/"
	for p in $NODES; do
		mkdir -p "$out/$p"
		cp "/pki/$p/node.pem" "/pki/$p/zone.pub" "$out/$p/"
		[ "$p" != "$n" ] || cp "/pki/$p/node.key" "/pki/$p/zone.key" "$out/$p/"
	done
	chmod -R u=rwX,go= "$out"
done
# The image runs as the unprivileged user sdns, which owns the volumes; the
# other containers (the nodes, mesh-init) read them as sdns too.
chmod 0755 /pki
echo "pki: mesh $MESH, nodes: $NODES"
