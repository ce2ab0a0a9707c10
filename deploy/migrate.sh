#!/bin/sh
# One-shot job before the nodes start (docker-compose.yml): as the owner
# role sdns_owner, apply the migrations to each node's database and grant
# the runtime role what sdnsd needs (README "Database roles"). Only this
# job knows the owner's password; the nodes run as the runtime role.
set -eu
: "${SDNS_DB_OWNER_PASSWORD:?SDNS_DB_OWNER_PASSWORD is the owner role's password}"
export PGPASSWORD="$SDNS_DB_OWNER_PASSWORD"
for db in ${SDNS_DB_NAMES:-sdns_alpha sdns_beta sdns_gamma}; do
	/opt/sdns/bin/sdnsd --migrate \
		--db "host=${SDNS_DB_HOST:-postgres} dbname=$db user=sdns_owner" \
		--db-runtime-role "${SDNS_DB_RUNTIME_ROLE:-sdns_app}" \
		--migrations /opt/sdns/migrations
done
echo "migrate: schema current on: ${SDNS_DB_NAMES:-sdns_alpha sdns_beta sdns_gamma}"
