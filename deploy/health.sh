#!/bin/sh
# Container health check: the node's API answers an authenticated read,
# which needs the database too, made with the node's own certificate (the
# node role reads everything; the node holds no admin key).
: "${SDNS_NODE:?SDNS_NODE is the node name}"
exec /opt/sdns/bin/sdnsctl zone list --api https://localhost:8443 \
	--ca /pki/ca.pem --cert "/pki/$SDNS_NODE/node.pem" \
	--key "/pki/$SDNS_NODE/node.key" >/dev/null
