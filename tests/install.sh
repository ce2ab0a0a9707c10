#!/usr/bin/env bash
# Installation like any Debian daemon (issue 14):
# - make install DESTDIR=... PREFIX=/usr lays out the binaries, migrations,
#   console, man pages, units, sysusers.d entry and example config, with the
#   installed paths in the units; make uninstall takes them away again;
# - the .deb builds (dpkg-buildpackage -us -uc -b, from a copy of the tree so
#   the checkout stays clean), apt-get installs it on this machine (user
#   sdns, /var/lib/sdns), systemd-analyze verifies the installed units;
# - the unit's ExecStart runs as the unit would without systemd as PID 1:
#   as its User=, with only its capabilities (CAP_NET_BIND_SERVICE, DoQ on
#   a port below 1024), no new privileges, umask 077, the root file system
#   read-only but for /var/lib/sdns (ProtectSystem=strict), against a private
#   PostgreSQL and a throw-away config; the migrations and the console come
#   from the installed DATADIR; /healthz, the console, a DoQ and a stub
#   answer;
# - apt-get purge leaves no file of the package and no user behind.
# Needs root (apt-get, adduser, setpriv); skipped otherwise.
. "$(dirname "$0")/lib/shtest.sh"
t_setup install
START=$(date +%s)
if [ "$(id -u)" != 0 ]; then
	echo "  skip: tests/install.sh installs a Debian package and needs root"
	t_done; exit
fi
for c in dpkg-buildpackage dh fakeroot setpriv apt-get; do
	command -v "$c" >/dev/null || { t_fail "$c is missing (make deps installs it)"; t_done; exit; }
done
if dpkg -s sdns >/dev/null 2>&1 || getent passwd sdns >/dev/null || getent group sdns >/dev/null; then
	echo "  skip: the package sdns or a user/group sdns is already on this machine; not touching it"
	t_done; exit
fi
chmod 755 "$T_DIR" # the postgres and sdns users must reach into it
PGDIR=$T_DIR/pg
INSTALLED=
cleanup() {
	[ -z "${SDNSD_PID:-}" ] || kill "$SDNSD_PID" 2>/dev/null
	"$ROOT/server/dev/pg.sh" stop "$PGDIR" >/dev/null 2>&1
	if [ -n "$INSTALLED" ]; then
		apt-get -o DPkg::Lock::Timeout=120 purge -y -qq sdns >/dev/null 2>&1
	fi
	t_cleanup
}
trap cleanup EXIT
APT=(apt-get -o DPkg::Lock::Timeout=120 -y -qq)
# the package is the plain build whatever this run's build is (make test
# SAN=1 passes SAN, B, BIN and MAKEFLAGS down)
PLAIN=(env -u SAN -u B -u BIN -u MAKEFLAGS -u MFLAGS -u MAKELEVEL)
secs() { echo $(($(date +%s) - $1)); }

# A copy of the tree: what git tracks plus new files not ignored, with the
# checkout's build/ (objects newer than their sources are reused by make).
SRC=$T_DIR/src
GIT_BEFORE=$(cd "$ROOT" && git status --porcelain)
mkdir "$SRC"
(cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T - ) | tar -xf - -C "$SRC"
[ -d "$ROOT/build" ] && cp -a "$ROOT/build" "$SRC/build"

# --- make install / uninstall -------------------------------------------
D=$T_DIR/destdir
t0=$(date +%s)
out=$("${PLAIN[@]}" make -C "$SRC" -j2 install DESTDIR="$D" PREFIX=/usr 2>&1) \
	|| t_fail "make install DESTDIR PREFIX=/usr" "$(echo "$out" | tail -20)"
echo "  make install (build included): $(secs "$t0") s"
want="/usr/bin/sdnsctl
/usr/lib/systemd/system/sdnsd.service
/usr/lib/systemd/system/sdnsd@.service
/usr/lib/sysusers.d/sdns.conf
/usr/sbin/sdnsd
/usr/share/man/man1/sdnsctl.1
/usr/share/man/man8/sdnsd.8
/usr/share/sdns/examples/sdnsd.json
$(cd "$ROOT" && ls migrations/*.sql web/* | sed 's|^|/usr/share/sdns/|')"
t_eq "make install lays out binaries, units, man pages, migrations, console" \
	"$(echo "$want" | sort)" "$(cd "$D" && find . -type f -o -type l | sed 's|^\.||' | sort)"
t_eq "sdnsd and sdnsctl are executable" "755 755" \
	"$(stat -c %a "$D/usr/sbin/sdnsd") $(stat -c %a "$D/usr/bin/sdnsctl")"
t_match "the unit runs the installed sdnsd with /etc/sdns/sdnsd.json" \
	'^ExecStart=/usr/sbin/sdnsd --config /etc/sdns/sdnsd.json$' "$(cat "$D/usr/lib/systemd/system/sdnsd.service")"
t_match "the template reads /etc/sdns/NAME.json" \
	'^ExecStart=/usr/sbin/sdnsd --config /etc/sdns/%i.json$' "$(cat "$D/usr/lib/systemd/system/sdnsd@.service")"
t_eq "no @VARIABLE@ is left in what was installed" "" \
	"$(grep -rl '@[A-Z]*DIR@' "$D" 2>/dev/null)"
t_match "the installed sdnsd looks in /usr/share/sdns" 'DATADIR .*: /usr/share/sdns$' \
	"$("$D/usr/sbin/sdnsd" --help 2>&1 | tail -1)"
t_eq "the example config is JSON of sdnsd's options" "" "$($PY - "$D/usr/share/sdns/examples/sdnsd.json" "$("$D/usr/sbin/sdnsd" --help 2>&1)" <<'PY'
import json, re, sys
opts = set(re.findall(r"^  --([a-z][a-z0-9-]*)", sys.argv[2], re.M))
print(" ".join(k for k in json.load(open(sys.argv[1])) if k.replace("_", "-") not in opts))
PY
)"
"${PLAIN[@]}" make -C "$SRC" uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
t_eq "make uninstall removes every file" "" "$(find "$D" -type f -o -type l)"

# --- the Debian package ----------------------------------------------------
# -nc: the objects built above (PREFIX=/usr, the same as debian/rules) are
# reused; a release build runs without it (clean, full build: about 30 s)
t0=$(date +%s)
if out=$(cd "$SRC" && "${PLAIN[@]}" DEB_BUILD_OPTIONS="parallel=2 noddebs" dpkg-buildpackage -us -uc -b -nc 2>&1); then
	t_pass "dpkg-buildpackage -us -uc -b builds the .deb"
else
	t_fail "dpkg-buildpackage -us -uc -b builds the .deb" "$(echo "$out" | tail -30)"
	t_done; exit
fi
echo "  dpkg-buildpackage: $(secs "$t0") s"
DEB=$(ls "$T_DIR"/sdns_*.deb)
t_eq "the checkout is left as it was (the build ran in a copy)" "$GIT_BEFORE" \
	"$(cd "$ROOT" && git status --porcelain)"
t_match "Depends come from the shared libraries" 'Depends: .*libngtcp2-9.*libpq5.*libsodium23.*adduser' \
	"$(dpkg-deb -f "$DEB" Depends | tr -d '\n' | sed 's/^/Depends: /')"

# what might be left behind: every path with sdns in its name, before
leftovers() {
	find /etc /usr /lib /var/lib /var/cache /run -xdev -name '*sdns*' 2>/dev/null \
		| grep -v '^/var/lib/\(dpkg\|docker\|containerd\)/\|^/var/cache/\(apt\|debconf\)/' | sort
}
BEFORE=$(leftovers)
t0=$(date +%s)
if out=$(DEBIAN_FRONTEND=noninteractive "${APT[@]}" install "$DEB" 2>&1); then
	INSTALLED=1
	t_pass "apt-get install ./sdns_*.deb"
else
	t_fail "apt-get install ./sdns_*.deb" "$out"; t_done; exit
fi
echo "  apt-get install: $(secs "$t0") s"
FILES=$(dpkg -L sdns)
t_match "the package made the system user sdns" '^sdns:x:[0-9]+:[0-9]+:.*:/var/lib/sdns:/usr/sbin/nologin$' \
	"$(getent passwd sdns)"
t_eq "its state directory /var/lib/sdns is the user's, 0750" "sdns:sdns 750" \
	"$(stat -c '%U:%G %a' /var/lib/sdns)"
t_eq "the man pages are installed" "sdnsd(8) sdnsctl(1)" \
	"$(man -w sdnsd >/dev/null && man -w sdnsctl >/dev/null && echo 'sdnsd(8) sdnsctl(1)')"
UNIT=/lib/systemd/system/sdnsd.service
if command -v systemd-analyze >/dev/null; then
	t_eq "systemd-analyze verify sdnsd.service" "" "$(systemd-analyze verify "$UNIT" 2>&1)"
	ln -s /lib/systemd/system/sdnsd@.service "$T_DIR/sdnsd@alpha.service"
	t_eq "systemd-analyze verify sdnsd@alpha.service" "" "$(systemd-analyze verify "$T_DIR/sdnsd@alpha.service" 2>&1)"
	exposure=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1 | sed -n 's/.*Overall exposure level for sdnsd.service: \([0-9.]*\).*/\1/p')
	echo "  systemd-analyze security: exposure $exposure (0 = most locked down, 10 = not at all)"
	t_ok "the sandbox's exposure is below 2.5 (systemd-analyze security)" \
		awk -v e="$exposure" 'BEGIN { exit !(e != "" && e < 2.5) }'
else
	echo "  skip: no systemd-analyze to verify the units with"
fi

# --- run it as the unit would ----------------------------------------------
unitval() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
EXEC=$(unitval ExecStart) USER_=$(unitval User) GROUP_=$(unitval Group)
CAPS=$(unitval AmbientCapabilities | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_//p' | paste -sd, -)
t_eq "the unit runs as sdns with CAP_NET_BIND_SERVICE only" "sdns sdns net_bind_service" "$USER_ $GROUP_ $CAPS"
t_eq "and the bounding set is that capability too" "CAP_NET_BIND_SERVICE" "$(unitval CapabilityBoundingSet)"

cd "$T_DIR"
"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
# the keys as /etc/sdns keeps them: root:sdns 0640 in a 0750 directory
chgrp -R sdns pki && chmod 0750 pki && chmod 0640 pki/*.key
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$PGDIR" "$PGPORT")
out=$(runuser -u sdns -- /usr/sbin/sdnsd --migrate --db "$CONNINFO user=sdns_owner" --db-runtime-role sdns_app 2>&1)
t_match "sdnsd --migrate takes the installed migrations by default" 'event=migrated migrations_applied=[1-9][0-9]* dir=/usr/share/sdns/migrations' "$out"

# a port below 1024 that nobody holds, for DoQ
DOQ=$($PY - <<'PY'
import socket
for p in range(940, 1000):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p); break
PY
)
API=$(t_free_port) STUB=$(t_free_port)
mkdir etc
cat >etc/sdnsd.json <<EOF
{
  "doq_listen": "127.0.0.1:$DOQ",
  "tls_cert": "$T_DIR/pki/node.pem", "tls_key": "$T_DIR/pki/node.key",
  "tls_ca": "$T_DIR/pki/ca.pem",
  "db": "$CONNINFO",
  "api_listen": "127.0.0.1:$API", "stub_listen": "127.0.0.1:$STUB",
  "state_dir": "/var/lib/sdns", "mesh_state": "/var/lib/sdns/mesh-state",
  "workers": 1, "stub_workers": 1, "sync_threads": 1, "api_threads": 2
}
EOF
chgrp -R sdns etc && chmod 0750 etc && chmod 0640 etc/sdnsd.json
# ExecStart with the throw-away config; setpriv gives what the unit gives
read -r -a ARGV <<<"${EXEC//\/etc\/sdns\/sdnsd.json/$T_DIR/etc/sdnsd.json}"
SETPRIV=(setpriv --reuid="$USER_" --regid="$GROUP_" --init-groups --no-new-privs
	--inh-caps=-all,+"$CAPS" --ambient-caps=-all,+"$CAPS" --bounding-set=-all,+"$CAPS")
# and a mount namespace for ProtectSystem=strict and ProtectHome=yes: the root
# file system read-only but for the state directory, /root and /home empty
SANDBOX='mount --bind /var/lib/sdns /var/lib/sdns && mount -o remount,bind,ro / &&
	mount -t tmpfs -o ro,mode=0755 tmpfs /root && mount -t tmpfs -o ro,mode=0755 tmpfs /home &&
	umask 077 && exec "$@"'
unshare --mount --propagation private -- sh -c "$SANDBOX" sandbox \
	"${SETPRIV[@]}" -- "${ARGV[@]}" >sdnsd.log 2>&1 &
SDNSD_PID=$!
if ! t_wait_log sdnsd.log 'event=api_ready' 30; then
	t_fail "the unit's sdnsd starts (event=api_ready)" "$(tail -20 sdnsd.log)"
	t_done; exit
fi
t_pass "the unit's sdnsd starts as sdns, DoQ on port $DOQ (event=api_ready)"
st=$(cat /proc/$SDNSD_PID/status)
t_eq "it runs as sdns with CapEff = CAP_NET_BIND_SERVICE and NoNewPrivs" \
	"$(id -u sdns) 0000000000000400 1" \
	"$(echo "$st" | awk '/^Uid:/ {u=$2} /^CapEff:/ {c=$2} /^NoNewPrivs:/ {n=$2} END {print u, c, n}')"
t_eq "it sees / read-only and /var/lib/sdns writable (ProtectSystem=strict)" "ro rw" \
	"$(awk '$5 == "/" { r = substr($6, 1, 2) } $5 == "/var/lib/sdns" { w = substr($6, 1, 2) } END { print r, w }' /proc/$SDNSD_PID/mountinfo)"
t_eq "it made its audit key in /var/lib/sdns, 0600" "sdns 600" "$(stat -c '%U %a' /var/lib/sdns/audit.key 2>&1)"

CURL=(curl -sS --cacert pki/ca.pem --cert pki/admin.pem --key pki/admin.key)
t_eq "GET /healthz" '200 {"status":"ok","database":"up"}' \
	"$("${CURL[@]}" -o body -w '%{http_code}' "https://localhost:$API/healthz") $(cat body)"
"${CURL[@]}" -o console.html "https://localhost:$API/"
t_ok "the console is the installed /usr/share/sdns/web/index.html" cmp console.html /usr/share/sdns/web/index.html
t_eq "POST /zones/t.mesh" 201 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "https://localhost:$API/zones/t.mesh")"
API_ARGS=(--api "https://localhost:$API" --ca pki/ca.pem --cert pki/admin.pem --key pki/admin.key)
"$BIN/sdnsctl" record add t.mesh www A 10.0.0.5 "${API_ARGS[@]}" >/dev/null
ans=
for i in $(seq 50); do
	ans=$("$BIN/sdnsctl" query --server "127.0.0.1:$DOQ" --server-name localhost --ca pki/ca.pem \
		--cert pki/admin.pem --key pki/admin.key --json www.t.mesh A 2>&1)
	case "$ans" in *10.0.0.5*) break ;; esac
	sleep 0.1
done
t_match "a DoQ answer on port $DOQ" '"data": "10\.0\.0\.5"' "$ans"
t_eq "a stub answer (plain DNS)" "10.0.0.5" "$(dig +short +time=2 +tries=1 -p "$STUB" @127.0.0.1 www.t.mesh A)"
kill "$SDNSD_PID"; wait "$SDNSD_PID" 2>/dev/null
t_eq "SIGTERM: exit 0" 0 "$?"
SDNSD_PID=
"$ROOT/server/dev/pg.sh" stop "$PGDIR" >/dev/null 2>&1

# --- purge -----------------------------------------------------------------
t0=$(date +%s)
out=$("${APT[@]}" purge sdns 2>&1) && INSTALLED= || t_fail "apt-get purge sdns" "$out"
echo "  apt-get purge: $(secs "$t0") s"
t_eq "the package is gone" "" "$(dpkg-query -W -f='${Status}' sdns 2>/dev/null | grep -v not-installed)"
left=
while read -r f; do
	[ -n "$f" ] && [ ! -d "$f" ] && [ -e "$f" ] && left+="$f "
done <<<"$FILES"
t_eq "no file of the package is left" "" "$left"
t_eq "nothing named sdns is left in /etc /usr /lib /var/lib /run (/var/lib/sdns and /etc/sdns gone)" \
	"$BEFORE" "$(leftovers)"
t_eq "the user and group sdns are removed" "" "$(getent passwd sdns; getent group sdns)"
echo "  tests/install.sh: $(secs "$START") s"
t_done
