#!/usr/bin/env bash
# `make run` side by side (issue 13): two runs sharing one state directory
# share its PostgreSQL, and stopping one (make stop) leaves the cluster up
# for the other; a run with SDNS_VAR has a cluster of its own; a second run
# on a port its directory's run already serves is refused before it touches
# anything; the cluster stops with its last user, and `make stop` also stops
# one left behind by a run killed with SIGKILL. Runs server/dev/run.sh and
# stop.sh, which the Makefile's run and stop targets call.
. "$(dirname "$0")/lib/shtest.sh"
t_setup dev_run
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach the clusters
cd "$ROOT"

# start NAME VAR: a run on fresh ports; NAME_API, NAME_STUB, NAME_PID set
start() {
	local name=$1 var=$2 api doq stub
	api=$(t_free_port) doq=$(t_free_port) stub=$(t_free_port)
	SDNS_VAR=$var SDNS_API_PORT=$api SDNS_DOQ_PORT=$doq SDNS_STUB_PORT=$stub \
		BIN=$BIN server/dev/run.sh >"$T_DIR/$name.out" 2>&1 &
	local pid=$!
	T_PIDS+=("$pid")
	printf -v "${name}_API" %s "$api"
	printf -v "${name}_STUB" %s "$stub"
	printf -v "${name}_PID" %s "$pid"
}
up() { t_wait_log "$T_DIR/$1.out" 'is running' 120; }
health() { # VAR API-PORT
	curl -sS --cacert "$1/pki/ca.pem" --cert "$1/pki/admin.pem" --key "$1/pki/admin.key" \
		"https://localhost:$2/healthz" 2>&1
}
add() { # VAR API-PORT NAME: prints the HTTP status of a record add
	curl -sS -o /dev/null -w '%{http_code}' --cacert "$1/pki/ca.pem" --cert "$1/pki/admin.pem" \
		--key "$1/pki/admin.key" -H 'Content-Type: application/json' -H "Origin: https://localhost:$2" \
		-d "{\"name\":\"$3.node-alpha.mesh\",\"type\":\"A\",\"value\":\"10.0.0.77\",\"ttl\":60}" \
		"https://localhost:$2/zones/node-alpha.mesh/records" 2>&1
}
answers() { # STUB-PORT NAME N: how many of N queries came back NOERROR with an address
	local ok=0 i
	for i in $(seq "$3"); do
		dig +short +tries=1 +time=2 @127.0.0.1 -p "$1" "$2" A | grep -q '^10\.' && ok=$((ok + 1))
	done
	echo "$ok"
}
exited() { # PID: waits up to 30 s for it to be gone
	local i
	for i in $(seq 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
pg_up() { server/dev/pg.sh status "$1/pg"; }

V=$T_DIR/var V2=$T_DIR/var2
trap 'for v in "$V" "$V2"; do SDNS_VAR=$v server/dev/stop.sh >/dev/null 2>&1; done; t_cleanup' EXIT
start A "$V"
t_ok "run A starts" up A
start B "$V"
t_ok "run B starts beside it with the same state directory" up B
t_eq "A and B hold the one cluster of $V" 2 "$(server/dev/pg.sh users "$V/pg" | wc -l)"
start C "$V2"
t_ok "run C starts with its own SDNS_VAR" up C
t_ok "C has a cluster of its own" pg_up "$V2"

# A second run on A's API port: refused up front, A's log untouched.
logsize=$(stat -c %s "$V/sdnsd-$A_API.log")
out=$(SDNS_VAR=$V SDNS_API_PORT=$A_API SDNS_DOQ_PORT=$(t_free_port) SDNS_STUB_PORT=$(t_free_port) \
	BIN=$BIN timeout 60 server/dev/run.sh 2>&1); rc=$?
t_eq "a run on a port its directory's run serves exits 1" 1 "$rc"
t_match "and names the run, make stop and other ports" \
	"already running with $V on API port $A_API \\(pid $A_PID\\).*make stop.*SDNS_API_PORT" "$(echo $out)"
t_ok "and A's log was not truncated" test "$(stat -c %s "$V/sdnsd-$A_API.log")" -ge "$logsize"

t_ok "make stop with SDNS_API_PORT stops A" env SDNS_VAR="$V" SDNS_API_PORT="$A_API" server/dev/stop.sh
t_ok "A's run.sh exits" exited "$A_PID"
t_match "A says the cluster stays up for B" "left running for the other make run using it \\(pid $B_PID\\)" \
	"$(cat "$T_DIR/A.out")"
t_ok "the cluster is still up" pg_up "$V"
t_match "B is still healthy" '"status":"ok","database":"up"' "$(health "$V" "$B_API")"
t_eq "B still writes" 201 "$(add "$V" "$B_API" after-a)"
t_eq "B's stub answers 20 of 20" 20 "$(answers "$B_STUB" www.node-alpha.mesh 20)"

t_ok "make stop stops every run of $V" env SDNS_VAR="$V" server/dev/stop.sh
t_ok "B's run.sh exits" exited "$B_PID"
t_fails "and the cluster of $V stops with its last user" pg_up "$V"
t_ok "C's cluster is untouched" pg_up "$V2"
t_match "C is healthy" '"status":"ok","database":"up"' "$(health "$V2" "$C_API")"
t_eq "C's stub answers 20 of 20" 20 "$(answers "$C_STUB" www.node-alpha.mesh 20)"

# A run killed outright cannot let go: make stop takes the cluster down.
kill -KILL "$C_PID"; wait "$C_PID" 2>/dev/null
pkill -f "sdnsd --db host=$V2/pg/" 2>/dev/null
t_ok "a SIGKILLed run leaves its cluster up" pg_up "$V2"
out=$(SDNS_VAR=$V2 server/dev/stop.sh 2>&1)
t_match "make stop stops a cluster no run uses" "stopped PostgreSQL .* which no make run used" "$out"
t_fails "and it is down" pg_up "$V2"
t_done
