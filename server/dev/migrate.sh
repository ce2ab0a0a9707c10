#!/usr/bin/env bash
# Apply the SQL migrations to a database of a server/dev/pg.sh cluster the
# way a deployment does (README "Database roles"): as the owner role
# sdns_owner, granting the runtime role sdns_app what sdnsd needs.
#   migrate.sh CONNINFO      (pg.sh's conninfo; its user= is replaced)
# BIN (default bin) names the sdnsd build.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: migrate.sh CONNINFO" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
# a later keyword wins in a conninfo
exec "$BIN/sdnsd" --migrate --db "$1 user=sdns_owner" \
	--db-runtime-role sdns_app --migrations "$ROOT/migrations"
