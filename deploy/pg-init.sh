#!/bin/sh
# Roles and databases of docker-compose.yml, made once by the postgres
# image's entrypoint on an empty data directory (README "Database roles"):
# sdns_owner owns the node databases and applies the migrations (the
# migrate job); sdns_app, which the nodes run as, owns nothing, so a node
# cannot switch off the audit's append-only triggers. The passwords come
# in as psql variables, never inside SQL text.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v owner_pw="${SDNS_DB_OWNER_PASSWORD:?the owner role's password}" \
	-v app_pw="${SDNS_DB_PASSWORD:?the runtime role's password}" <<'SQL'
CREATE ROLE sdns_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE sdns_app LOGIN PASSWORD :'app_pw';
-- One database per node: nodes share nothing but the server process.
CREATE DATABASE sdns_alpha OWNER sdns_owner;
CREATE DATABASE sdns_beta OWNER sdns_owner;
CREATE DATABASE sdns_gamma OWNER sdns_owner;
SQL
