#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, on a Unix socket
# only (listen_addresses=''), everything under DIR:
#   pg.sh start DIR [PORT]   initdb on first use, start, create database sdns,
#                            print the conninfo; a running cluster is left as is
#   pg.sh stop DIR           fast shutdown (nothing to do when not running)
#   pg.sh status DIR         exit 0 when running
#   pg.sh conninfo DIR       print the conninfo
# As root, DIR is given to the postgres user and every server command runs
# through `runuser -u postgres --` (PostgreSQL refuses to run as root).
set -euo pipefail

usage() { echo "usage: pg.sh start|stop|status|conninfo DIR [PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port=${3:-}

pgbin=${PG_BIN:-}
if [ -z "$pgbin" ]; then
	for v in 17 16 15 14 13; do
		if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
			pgbin=/usr/lib/postgresql/$v/bin; break
		fi
	done
fi
[ -n "$pgbin" ] || { echo "pg.sh: no PostgreSQL server binaries found (apt install postgresql)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ "$(id -u)" = 0 ]; then
	as() { runuser -u postgres -- "$@"; }
	dbuser=postgres
else
	as() { "$@"; }
	dbuser=$(id -un)
fi

if [ -z "$port" ]; then
	if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=5432; fi
fi

conninfo() { echo "host=$dir/sock port=$port dbname=sdns user=$dbuser"; }

running() { [ -f "$dir/data/PG_VERSION" ] && as "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "$cmd" in
start)
	if ! running; then
		mkdir -p "$dir/sock"
		echo "$port" >"$dir/port"
		touch "$dir/postgres.log"
		if [ "$(id -u)" = 0 ]; then
			chown -R postgres: "$dir"
		fi
		if [ ! -f "$dir/data/PG_VERSION" ]; then
			as "$pgbin/initdb" -D "$dir/data" -U "$dbuser" -A trust -E UTF8 \
				--no-locale >"$dir/initdb.log" 2>&1 \
				|| { cat "$dir/initdb.log" >&2; exit 1; }
		fi
		as "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
			-o "-k '$dir/sock' -p $port -c listen_addresses=''" start >/dev/null \
			|| { tail -20 "$dir/postgres.log" >&2; exit 1; }
	fi
	exists=$(as "$pgbin/psql" -h "$dir/sock" -p "$port" -U "$dbuser" -d postgres -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = 'sdns'")
	if [ "$exists" != 1 ]; then
		as "$pgbin/createdb" -h "$dir/sock" -p "$port" -U "$dbuser" sdns
	fi
	conninfo
	;;
stop)
	if running; then
		as "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
	;;
status)
	running
	;;
conninfo)
	conninfo
	;;
*)
	usage
	;;
esac
