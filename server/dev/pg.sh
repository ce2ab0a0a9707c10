#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, on a Unix socket
# only (listen_addresses=''), everything under DIR:
#   pg.sh start DIR [PORT]   initdb on first use, start, create the roles and
#                            database sdns, print the runtime conninfo; a
#                            running cluster is left as is
#   pg.sh stop DIR           fast shutdown (nothing to do when not running)
#   pg.sh status DIR         exit 0 when running
#   pg.sh conninfo DIR [ROLE]  print the conninfo: app (default), owner, super
#   pg.sh createdb DIR NAME  create database NAME owned by the owner role
#   pg.sh standby DIR PRIMARY-DIR PORT  a streaming standby of the cluster
#                            in PRIMARY-DIR (pg_basebackup -R), started on
#                            its own socket and PORT; print its conninfo
#   pg.sh promote DIR        promote a standby (waits until it is primary)
#   pg.sh kill DIR           immediate shutdown (a crash, no checkpoint)
#   pg.sh acquire DIR PID [PORT]  start (as start) and record process PID as
#                            a user of the cluster
#   pg.sh release DIR PID    forget PID; stop the cluster when no live user is
#                            left (so one `make run` stopping leaves it up for
#                            another one sharing DIR); prints who keeps it
#   pg.sh users DIR          the live users' PIDs, one per line
# Two roles (README "Database roles"): sdns_owner owns the databases and
# applies the migrations (sdnsd --migrate), sdns_app is the one sdnsd runs
# as. A conninfo plus " user=ROLE" is that role's (the later keyword wins).
# As root, DIR is given to the postgres user and every server command runs
# through `runuser -u postgres --` (PostgreSQL refuses to run as root).
set -euo pipefail

usage() { echo "usage: pg.sh start|stop|status|conninfo|createdb|standby|promote|kill|acquire|release|users DIR [PORT|ROLE|NAME|PRIMARY-DIR PORT|PID]" >&2; exit 2; }
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

arg=$port
case "$cmd" in conninfo|createdb|release|users) port= ;;
acquire|standby) port=${4:-} ;;
esac
if [ -z "$port" ]; then
	if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=5432; fi
fi
OWNER=sdns_owner
APP=sdns_app

conninfo() { # [app|owner|super]
	local u=$APP
	case "${1:-app}" in app) ;; owner) u=$OWNER ;; super) u=$dbuser ;; *) usage ;; esac
	echo "host=$dir/sock port=$port dbname=sdns user=$u"
}
sql() { as "$pgbin/psql" -h "$dir/sock" -p "$port" -U "$dbuser" -v ON_ERROR_STOP=1 -Atq "$@"; }
createdb_owned() {
	if [ "$(sql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" != 1 ]; then
		sql -d postgres -c "CREATE DATABASE \"$1\" OWNER $OWNER"
	elif [ "$(sql -d "$1" -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")" != "$OWNER" ]; then
		# made by an earlier pg.sh, owned by the superuser: hand it over
		sql -d "$1" -v owner=$OWNER -f - <"$(dirname "$0")/../../deploy/adopt-owner.sql" >/dev/null
	fi
}

running() { [ -f "$dir/data/PG_VERSION" ] && as "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

# Users (acquire/release) are files named by PID under DIR/users; a PID
# that is gone no longer counts. One lock serialises start, stop and the
# user list, so a run that is starting cannot lose the cluster to one that
# is stopping at the same moment. (The server must not inherit the lock's
# descriptor: it would hold the lock for as long as it runs.)
lock() { exec 9>"$dir/.lock"; flock 9; }
live_users() {
	local f p
	for f in "$dir"/users/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		if kill -0 "$p" 2>/dev/null; then echo "$p"; else rm -f "$f"; fi
	done
}
do_start() {
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
			-o "-k '$dir/sock' -p $port -c listen_addresses=''" start >/dev/null 9>&- \
			|| { tail -20 "$dir/postgres.log" >&2; exit 1; }
	fi
	for r in $OWNER $APP; do
		if [ "$(sql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$r'")" != 1 ]; then
			sql -d postgres -c "CREATE ROLE $r LOGIN"
		fi
	done
	createdb_owned sdns
}
do_stop() {
	if running; then
		as "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
}

case "$cmd" in
start)
	lock
	do_start
	conninfo
	;;
acquire)
	[ -n "$arg" ] || usage
	lock
	mkdir -p "$dir/users"
	echo "$arg" >"$dir/users/$arg"
	do_start
	conninfo
	;;
release)
	[ -n "$arg" ] || usage
	lock
	rm -f "$dir/users/$arg"
	left=$(live_users | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "PostgreSQL ($dir) left running for the other make run using it (pid ${left% })" >&2
	else
		do_stop
	fi
	;;
users)
	live_users
	;;
createdb)
	[ -n "$arg" ] || usage
	createdb_owned "$arg"
	;;
standby)
	[ -n "$arg" ] && [ -n "$port" ] || usage
	primary=$(cd "$arg" && pwd)
	if ! running; then
		if [ ! -f "$dir/data/PG_VERSION" ]; then
			mkdir -p "$dir/sock"
			[ "$(id -u)" != 0 ] || chown -R postgres: "$dir"
			# -R: standby.signal and primary_conninfo; -X stream: the WAL
			# written meanwhile comes along.
			as "$pgbin/pg_basebackup" -h "$primary/sock" -p "$(cat "$primary/port")" \
				-U "$dbuser" -D "$dir/data" -R -X stream -c fast \
				>"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
		fi
		"$0" start "$dir" "$port" >/dev/null
	fi
	conninfo
	;;
promote)
	as "$pgbin/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null
	;;
kill)
	if running; then
		as "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null
	fi
	;;
stop)
	lock
	do_stop
	;;
status)
	running
	;;
conninfo)
	conninfo "$arg"
	;;
*)
	usage
	;;
esac
