#!/bin/sh
# Container health check: the node's API answers an authenticated read,
# which needs the database too.
exec /opt/sdns/bin/sdnsctl zone list --api https://localhost:8443 \
	--ca /pki/ca.pem --cert /pki/admin.pem --key /pki/admin.key >/dev/null
