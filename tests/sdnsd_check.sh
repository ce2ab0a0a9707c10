#!/usr/bin/env bash
# sdnsd --check-config: a good configuration passes with a summary (exit 0);
# each fault in the file or in a file it names fails (exit non-zero) and
# says which file and what is wrong; nothing is started or changed.
. "$(dirname "$0")/lib/shtest.sh"
t_setup sdnsd_check
cd "$T_DIR"
chmod 755 "$T_DIR" # the postgres user (when we are root) must reach pg/
T0=$(date +%s%N)

"$BIN/sdnsctl" pki init --dir pki --mesh test.mesh --node srv >/dev/null
"$BIN/sdnsctl" pki init --dir other --mesh test.mesh --node srv >/dev/null
mkdir zk && "$BIN/sdnsctl" pki zonekey --out zk >/dev/null
printf '$ORIGIN a.mesh.\n@ 300 IN SOA ns hm 1 3600 600 86400 300\nwww 300 IN A 10.0.0.1\n' >a.zone
printf '$ORIGIN b.mesh.\n@ 300 IN SOA ns hm 1 3600 600 86400 300\nwww 300 IN A 10.0.0.256\n' >bad.zone
cat >good.json <<'EOF'
{"tls_cert": "pki/node.pem", "tls_key": "pki/node.key", "tls_ca": "pki/ca.pem",
 "zone_files": ["a.zone"], "zone_key": "zk/zone.key", "doq_listen": "127.0.0.1:0"}
EOF
# check [ARGS...]: prints "RC OUTPUT"
check() { local out rc; out=$("$BIN/sdnsd" --check-config "$@" 2>&1); rc=$?; echo "$rc $out"; }

r=$(check --config good.json)
t_match "a good static configuration: exit 0 and a summary" \
	'^0 sdnsd: configuration OK: good.json \(static mode\)' "$r"
t_match "the summary names the identity, the key and the CA" \
	'tls: pki/node.pem \(spiffe://test.mesh/node/srv\) matches pki/node.key, issued by pki/ca.pem' "$r"
t_match "and the zones and the zone key" 'zone key: zk/zone.key \(key tag [0-9]+\).*zones: 1 file, 1 zone, 2 records' "$(echo "$r" | tr '\n' ' ')"

r=$(check --config good.json --tls-cert missing.pem)
t_match "a missing certificate: exit 1, the option, the file and why" \
	'^1 sdnsd: check: --tls-cert missing.pem: cannot read: No such file or directory' "$r"
r=$(check --config good.json --tls-key other/node.key)
t_match "a key that is not the certificate's: exit 1, both files named" \
	'^1 sdnsd: check: --tls-cert: certificate pki/node.pem / key other/node.key: The certificate and the given key do not match' "$r"
# Ed25519: GnuTLS itself does not compare such a key with its certificate.
"$BIN/sdnsctl" pki issue --dir pki --role node --name ed1 --alg ed25519 --out ed1 >/dev/null
"$BIN/sdnsctl" pki issue --dir pki --role node --name ed2 --alg ed25519 --out ed2 >/dev/null
t_match "an Ed25519 certificate with its key passes" '^0 ' "$(check --config good.json --tls-cert ed1.pem --tls-key ed1.key)"
r=$(check --config good.json --tls-cert ed1.pem --tls-key ed2.key)
t_match "an Ed25519 key that is not the certificate's: exit 1" \
	'^1 sdnsd: check: --tls-cert: certificate ed1.pem / key ed2.key: The certificate and the given key do not match' "$r"
r=$(check --config good.json --tls-cert other/node.pem --tls-key other/node.key)
t_match "a certificate from another CA: exit 1, does not chain to the CA" \
	'^1 sdnsd: check: --tls-cert: certificate other/node.pem does not chain to CA pki/ca.pem: .*issuer is unknown' "$r"
r=$(check --config good.json --zone-file gone.zone)
t_match "an unreadable zone file: exit 1, the file and why" \
	"^1 sdnsd: check: --zone-file gone.zone: .*cannot open zone file 'gone.zone': No such file or directory" "$r"
r=$(check --config good.json --zone-file bad.zone)
t_match "a zone file that does not load: exit 1, the file and the line" \
	'^1 sdnsd: check: --zone-file bad.zone: .*line 3' "$r"
r=$(check --config good.json --zone-key missing.key)
t_match "an unreadable zone key: exit 1" '^1 sdnsd: check: --zone-key missing.key: cannot read' "$r"
r=$(check --config good.json --tls-cert missing.pem --zone-file gone.zone)
t_match "every problem is listed, then the count" '--tls-cert missing.pem.*--zone-file gone.zone.*2 problems in good.json' "$(echo "$r" | tr '\n' ' ')"
printf '{"tls_cert": "pki/node.pem",\n "tls_key": }\n' >badjson.json
r=$(check --config badjson.json)
t_match "bad JSON: non-zero, the file and the line" '^2 sdnsd: config badjson.json:2: ' "$r"
sed 's/"zone_key"/"zone_kee"/' good.json >typo.json
r=$(check --config typo.json)
t_match "an unknown key: non-zero, the key named" "^2 sdnsd: config typo.json: unknown key 'zone_kee'" "$r"

# Every option --help lists is taken on the command line (an option whose
# getopt value read as '?' was refused with the usage text).
refused=$(bin="$BIN/sdnsd" $PY - <<'EOF'
import os, subprocess
b = os.environ["bin"]
help = subprocess.run([b, "--help"], capture_output=True, text=True).stdout
bad = []
for line in help.splitlines():
    if not line.startswith("  --"):
        continue
    flag, _, arg = line[2:33].strip().partition(" ")
    if flag in ("--config", "--help"):
        continue
    argv = [b, "--check-config", "--tls-cert", "pki/node.pem", "--tls-key", "pki/node.key",
            "--tls-ca", "pki/ca.pem", "--zone-file", "a.zone", flag] + (["1"] if arg else [])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if "usage:" in r.stderr or "unrecognized option" in r.stderr:
        bad.append(flag)
print(" ".join(bad))
EOF
)
t_eq "every option of --help is accepted on the command line" "" "$refused"

# Store mode: the database as the start checks it, changing nothing.
PGPORT=$(t_free_port)
CONNINFO=$("$ROOT/server/dev/pg.sh" start "$T_DIR/pg" "$PGPORT")
trap '"$ROOT/server/dev/pg.sh" stop "$T_DIR/pg" >/dev/null 2>&1; t_cleanup' EXIT
OWNER="$CONNINFO user=sdns_owner"
STORE=(--tls-cert pki/node.pem --tls-key pki/node.key --tls-ca pki/ca.pem
	--migrations "$ROOT/migrations" --state-dir state)
r=$(check "${STORE[@]}" --db "$CONNINFO")
t_match "a database not migrated yet: exit 1, and what to run" \
	'^1 sdnsd: check: --db: database schema 0 is older than this sdnsd.*sdnsd --migrate' "$r"
t_fails "and nothing was migrated" test -e state
"$BIN/sdnsd" --migrate --db "$OWNER" --db-runtime-role sdns_app --migrations "$ROOT/migrations" >/dev/null 2>&1
r=$(check "${STORE[@]}" --db "$CONNINFO" --ca-key pki/ca.key)
t_match "a good store configuration: exit 0" '^0 sdnsd: configuration OK \(store mode\)' "$r"
t_match "the summary says the database is reachable and current" \
	'database: reachable, schema current, role owns nothing' "$r"
t_match "the audit key would be made in the state dir, the CA key matches" \
	'ca key: pki/ca.key.*audit key state/audit.key' "$(echo "$r" | tr '\n' ' ')"
r=$(check "${STORE[@]}" --db "$OWNER")
t_match "the owner role: exit 1, could rewrite the audit" '^1 sdnsd: check: --db: database role sdns_owner owns' "$r"
r=$(check "${STORE[@]}" --db "host=$T_DIR/nowhere port=$PGPORT dbname=sdns user=sdns_app")
t_match "an unreachable database: exit 1, and libpq's reason" \
	'^1 sdnsd: check: --db: database unavailable: .*(No such file|could not connect)' "$r"
r=$(check "${STORE[@]}" --db "$CONNINFO" --ca-key other/ca.key)
t_match "a CA key that is not the CA's: exit 1" '^1 sdnsd: check: --ca-key: other/ca.key : not the key of the CA certificate' "$r"
r=$(check "${STORE[@]}" --db "$CONNINFO" --migrations "$T_DIR/nomig")
t_match "no migrations directory: exit 1" "^1 sdnsd: check: --migrations $T_DIR/nomig: cannot open: No such file" "$r"
echo "garbage" >trust.txt
r=$(check "${STORE[@]}" --db "$CONNINFO" --audit-trust trust.txt)
t_match "a bad --audit-trust: exit 1, the line" '^1 sdnsd: check: --audit-trust trust.txt: line 1' "$r"
echo "  sdnsd_check took $((($(date +%s%N) - T0) / 1000000)) ms"
t_done
