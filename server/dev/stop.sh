#!/usr/bin/env bash
# `make stop`: stops the `make run` nodes of a state directory (SDNS_VAR,
# default var), each through its run.sh, which stops its sdnsd and lets go
# of PostgreSQL; the cluster stops with its last user. SDNS_API_PORT picks
# one node when several share the directory. A cluster left running with
# no user (a run killed with SIGKILL) is stopped too.
set -euo pipefail
cd "$(dirname "$0")/../.."
VAR=${SDNS_VAR:-var}
[ -d "$VAR" ] || { echo "make stop: no $VAR here: nothing to stop"; exit 0; }
VAR=$(cd "$VAR" && pwd)
pids=()
for f in "$VAR"/runs/*; do
	[ -e "$f" ] || continue
	port=${f##*/}
	[ -z "${SDNS_API_PORT:-}" ] || [ "$port" = "$SDNS_API_PORT" ] || continue
	pid=$(cat "$f" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		pids+=("$pid")
		echo "make stop: stopping the node on API port $port (run.sh pid $pid)"
	else
		rm -f "$f"
	fi
done
for pid in "${pids[@]:-}"; do
	[ -n "$pid" ] || continue
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		echo "make stop: pid $pid did not stop in 30 s" >&2; exit 1
	fi
done
[ ${#pids[@]} -gt 0 ] || echo "make stop: no make run is running with $VAR"
if [ -z "${SDNS_API_PORT:-}" ] && [ -d "$VAR/pg" ] && server/dev/pg.sh status "$VAR/pg" &&
	[ -z "$(server/dev/pg.sh users "$VAR/pg")" ]; then
	server/dev/pg.sh stop "$VAR/pg"
	echo "make stop: stopped PostgreSQL ($VAR/pg), which no make run used"
fi
