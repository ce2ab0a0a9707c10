# Helpers for the shell integration tests (sourced). Each test script:
#   . tests/lib/shtest.sh; t_setup NAME; ...; t_ok "what" CMD... ; t_done
# Servers started with t_bg are stopped on exit, even when a check fails.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
PY=/usr/bin/python3 # Debian's, which has python3-dnspython
T_PASS=0 T_FAIL=0 T_PIDS=()

t_setup() {
	T_NAME=$1
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sdns-$1-XXXXXX")
	trap t_cleanup EXIT
}

t_cleanup() {
	for p in "${T_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	if [ "$T_FAIL" -eq 0 ]; then rm -rf "$T_DIR"; else echo "kept $T_DIR for inspection"; fi
}

# Start a program in the background, logging to $T_DIR/NAME.log; PID in $!.
t_bg() {
	local name=$1; shift
	"$@" >"$T_DIR/$name.log" 2>&1 &
	T_PIDS+=($!)
}

t_pass() { T_PASS=$((T_PASS + 1)); echo "  ok   $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "  FAIL $1"; [ $# -lt 2 ] || echo "$2" | sed 's/^/       /' | head -30; }

# t_ok "what" CMD...: passes when CMD exits 0.
t_ok() {
	local what=$1; shift
	local out
	if out=$("$@" 2>&1); then t_pass "$what"; else t_fail "$what" "$out"; fi
}

# t_fails "what" CMD...: passes when CMD exits non-zero.
t_fails() {
	local what=$1; shift
	local out
	if out=$("$@" 2>&1); then t_fail "$what (unexpectedly succeeded)" "$out"; else t_pass "$what"; fi
}

# t_eq "what" EXPECTED ACTUAL
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "expected: $2
actual:   $3"; fi
}

# t_match "what" REGEX TEXT
t_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then t_pass "$1"; else t_fail "$1" "no match for /$2/ in:
$3"; fi
}

# A free UDP/TCP port on loopback (bound then released).
t_free_port() {
	$PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
t = socket.socket(); t.bind(("127.0.0.1", s.getsockname()[1])); print(s.getsockname()[1])'
}

# Wait until FILE contains REGEX (max SECONDS, default 10).
t_wait_log() {
	local file=$1 re=$2 max=${3:-10} i=0
	while [ $i -lt $((max * 10)) ]; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
