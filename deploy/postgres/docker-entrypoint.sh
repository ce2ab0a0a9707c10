#!/bin/bash
# The official postgres image's entrypoint contract on Debian's packages:
# as root, fix the data directory's owner and re-run as postgres; on an
# empty PGDATA, initdb with POSTGRES_USER/POSTGRES_PASSWORD, create
# POSTGRES_DB, run /docker-entrypoint-initdb.d/* (*.sh executed or sourced,
# *.sql and *.sql.gz through psql) against a server on the Unix socket
# only, then start the real server listening on every address.
set -Eeuo pipefail
[ $# -gt 0 ] || set -- postgres
[ "${1#-}" = "$1" ] || set -- postgres "$@"
[ "$1" = postgres ] || exec "$@"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA"
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres {} +
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
		echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
		echo "  (set it, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection)" >&2
		exit 1
	fi
	pwfile=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} >/dev/null
	rm -f "$pwfile"
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
	printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# the first-start server: Unix socket only, so nobody sees a half-made database
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
	export PGPASSWORD=${POSTGRES_PASSWORD:-} PGHOST=/var/run/postgresql
	psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres -q --set db="$POSTGRES_DB" \
			<<<'CREATE DATABASE :"db";'
	fi
	psql+=(--dbname "$POSTGRES_DB")
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh) if [ -x "$f" ]; then echo "running $f"; "$f"; else echo "sourcing $f"; . "$f"; fi ;;
		*.sql) echo "running $f"; "${psql[@]}" -f "$f" ;;
		*.sql.gz) echo "running $f"; gunzip -c "$f" | "${psql[@]}" ;;
		*) if [ -e "$f" ]; then echo "ignoring $f"; fi ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	unset PGPASSWORD PGHOST
	echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
