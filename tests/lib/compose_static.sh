# Sourced by tests/compose.sh only where no Docker engine can be started
# (not root): docker-compose.yml parsed (python3-yaml), and every file,
# script, port, variable, dependency and health check it refers to checked
# against the Dockerfile, the deploy/ scripts and the sdnsd/sdnsctl binaries.
cd "$ROOT"

check() { # check "what" PYTHON-EXPRESSION-BODY (prints problems; none = pass)
	local what=$1 out
	out=$($PY - "$2" 2>&1 <<'PY'
import glob, os, re, sys, yaml
with open("docker-compose.yml") as f:
    raw = f.read()
doc = yaml.safe_load(raw)
svcs = doc["services"]
vols = doc.get("volumes") or {}
docker = open("Dockerfile").read()
probs = []
def bad(m): probs.append(m)
exec(sys.argv[1])
print("\n".join(probs))
sys.exit(1 if probs else 0)
PY
) && t_pass "$what" || t_fail "$what" "$out"
}

t_ok "python3-yaml parses docker-compose.yml" $PY -c 'import yaml; yaml.safe_load(open("docker-compose.yml"))'

check "the services are postgres 15, pki, migrate, three nodes and mesh-init" '
want = {"postgres", "pki", "migrate", "node-alpha", "node-beta", "node-gamma", "mesh-init"}
if set(svcs) != want: bad("services: %s" % sorted(svcs))
if not str(svcs["postgres"].get("image", "")).startswith("${SDNS_POSTGRES_IMAGE:-postgres:15"): bad("postgres is not 15")
if "name" in doc: bad("a top-level name: (docker-compose 1.29 refuses it)")
'

check "every build context has the Dockerfile, on \${DEBIAN_IMAGE} (default debian:bookworm-slim)" '
for n, s in svcs.items():
    b = s.get("build")
    if b is None:
        if "image" not in s: bad(n + ": neither image nor build")
        continue
    ctx = b if isinstance(b, str) else b.get("context", ".")
    df = "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile")
    if not os.path.isfile(os.path.join(ctx, df)): bad(n + ": no " + df)
froms = re.findall(r"^FROM\s+(\S+)", docker, re.M)
if not froms or any(f != "${DEBIAN_IMAGE}" for f in froms): bad("FROM: %s" % froms)
if "ARG DEBIAN_IMAGE=debian:bookworm-slim" not in docker: bad("no ARG DEBIAN_IMAGE default")
# services that use the built image by name must come after one that builds it
built = {s.get("image") for s in svcs.values() if s.get("build")}
for n, s in svcs.items():
    if "secure-dns" in s.get("image", "") and s["image"] not in built: bad(n + ": image never built")
'

check "every file the Dockerfile copies exists" '
for m in re.finditer(r"^COPY\s+(?!--from)(.+)$", docker, re.M):
    parts = m.group(1).split()
    for src in parts[:-1]:
        if not glob.glob(src): bad("COPY " + src)
'

check "every bind mount, entrypoint and health script exists (executable)" '
scripts = set()
for n, s in svcs.items():
    for v in s.get("volumes", []):
        src = v.split(":")[0]
        if src.startswith((".", "/")):
            if not os.path.exists(src): bad(n + ": mount source " + src)
        elif src not in vols: bad(n + ": volume " + src + " not declared")
    ep = s.get("entrypoint") or []
    hc = (s.get("healthcheck") or {}).get("test") or []
    for word in list(ep) + list(hc):
        if isinstance(word, str) and word.startswith("/opt/sdns/deploy/"): scripts.add(word)
for w in re.findall(r"^ENTRYPOINT\s+\[\"([^\"]+)\"", docker, re.M): scripts.add(w)
for p in sorted(scripts):
    local = p.replace("/opt/sdns/deploy/", "deploy/")
    if not os.access(local, os.X_OK): bad("not an executable file: " + local)
if not scripts: bad("no scripts found")
'

check "every \${VAR} has a default, every service env var is used by a script" '
for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}", raw):
    if not m.group(2).startswith(":-"): bad("no default: " + m.group(0))
text = "".join(open(f).read() for f in glob.glob("deploy/*.sh"))
for n, s in svcs.items():
    if n == "postgres": continue
    for k in (s.get("environment") or {}):
        if k not in text: bad(n + ": " + k + " is read by no deploy/ script")
for k in re.findall(r"\$\{(SDNS_[A-Z_]+)(?::[?]|\})", text):
    if not any(k in (s.get("environment") or {}) for s in svcs.values()): bad(k + " required but never set")
'

check "ports: host ports distinct, stub on loopback, container ports what sdnsd listens on and EXPOSE" '
seen = {}
node = open("deploy/node.sh").read()
expose = set(re.findall(r"(\d+/(?:udp|tcp))", " ".join(re.findall(r"^EXPOSE (.*)$", docker, re.M))))
for n, s in svcs.items():
    for p in s.get("ports", []):
        m = re.fullmatch(r"(127\.0\.0\.1:|\$\{SDNS_PUBLISH_ADDR:-0\.0\.0\.0\}:)\$\{[A-Z_]+:-(\d+)\}:(\d+)/(udp|tcp)", p)
        if not m: bad(n + ": port " + p); continue
        lo, host, cport, proto = m.groups()
        if cport == "5353" and lo != "127.0.0.1:": bad(n + ": the plain-DNS stub must publish on host loopback only")
        key = host + "/" + proto
        if key in seen: bad("host port " + key + " used by " + seen[key] + " and " + n)
        seen[key] = n
        if cport + "/" + proto not in expose: bad(n + ": " + cport + "/" + proto + " not EXPOSEd")
        if "0.0.0.0:" + cport not in node: bad(n + ": sdnsd does not listen on " + cport)
if len(seen) != 9: bad("expected 9 published ports, got %d" % len(seen))
'

check "depends_on names real services; conditions have what they wait for" '
for n, s in svcs.items():
    for d, c in (s.get("depends_on") or {}).items():
        if d not in svcs: bad(n + " depends on unknown " + d); continue
        cond = c.get("condition")
        if cond == "service_healthy" and "healthcheck" not in svcs[d]: bad(d + " has no healthcheck for " + n)
        if cond == "service_completed_successfully" and svcs[d].get("restart") != "no": bad(d + " is not one-shot")
        if cond not in ("service_started", "service_healthy", "service_completed_successfully"): bad(n + ": condition " + str(cond))
for n in ("node-alpha", "node-beta", "node-gamma"):
    deps = svcs[n].get("depends_on") or {}
    if deps.get("postgres", {}).get("condition") != "service_healthy": bad(n + ": not after a healthy postgres")
    if deps.get("pki", {}).get("condition") != "service_completed_successfully": bad(n + ": not after the pki job")
    if deps.get("migrate", {}).get("condition") != "service_completed_successfully": bad(n + ": not after the migrate job")
    hc = svcs[n].get("healthcheck") or {}
    if not hc.get("test") or not hc.get("interval"): bad(n + ": no healthcheck")
'

check "each node has its own database, owned by the owner role and migrated by the migrate job" '
sql = open("deploy/pg-init.sh").read()
dbs = [svcs[n]["environment"]["SDNS_DB_NAME"] for n in ("node-alpha", "node-beta", "node-gamma")]
if len(set(dbs)) != 3: bad("databases shared: %s" % dbs)
for d in dbs:
    if "CREATE DATABASE " + d + " OWNER sdns_owner;" not in sql: bad(d + " not created for sdns_owner")
if svcs["migrate"]["environment"]["SDNS_DB_NAMES"].split() != dbs: bad("the migrate job does not migrate: %s" % dbs)
names = [svcs[n]["environment"]["SDNS_NODE"] for n in ("node-alpha", "node-beta", "node-gamma")]
if names != ["node-alpha", "node-beta", "node-gamma"]: bad("SDNS_NODE: %s" % names)
hc = " ".join(svcs["postgres"]["healthcheck"]["test"])
if "pg_isready -h 127.0.0.1" not in hc: bad("postgres healthcheck must use TCP (init runs on the socket only)")
'

check "the nodes run as the runtime role and never see the owner password or the superuser" '
node = open("deploy/node.sh").read()
if "user=sdns_app " not in node: bad("deploy/node.sh does not connect as sdns_app")
if "SDNS_DB_OWNER_PASSWORD" in node or "sdns_owner" in node: bad("deploy/node.sh knows the owner role")
for n in ("node-alpha", "node-beta", "node-gamma", "mesh-init"):
    env = svcs[n].get("environment") or {}
    if "SDNS_DB_OWNER_PASSWORD" in env or "POSTGRES_PASSWORD" in env: bad(n + " gets a database owner or superuser password")
if svcs["migrate"]["environment"].get("SDNS_DB_RUNTIME_ROLE") != "sdns_app": bad("migrate grants another role than sdns_app")
if svcs["postgres"]["environment"].get("POSTGRES_USER") in ("sdns_app", "sdns_owner"): bad("the superuser is a role sdnsd uses")
if "CREATE ROLE sdns_app LOGIN" not in open("deploy/pg-init.sh").read(): bad("sdns_app not created")
'

check "named volumes pgdata and pki are declared and used" '
for v in ("pgdata", "pki"):
    if v not in vols: bad(v + " not declared")
'

t_ok "deploy scripts are valid sh" bash -c 'for f in deploy/*.sh; do sh -n "$f" || exit 1; done'
help=$("$BIN/sdnsd" --help 2>&1)
missing=""
for f in $(grep -ho -- '--[a-z][a-z-]*' deploy/node.sh deploy/migrate.sh | sort -u); do
	grep -q -- "$f\b" <<<"$help" || missing="$missing $f"
done
t_eq "every sdnsd flag deploy/node.sh and deploy/migrate.sh use exists (sdnsd --help)" "" "$missing"
t_match "sdnsctl has pki zonekey" 'zonekey' "$("$BIN/sdnsctl" pki --help 2>&1)"
t_match "sdnsctl has peer add" 'peer add' "$("$BIN/sdnsctl" peer --help 2>&1)"
t_match "sdnsctl zone create (mesh-init)" 'zone create' "$("$BIN/sdnsctl" zone --help 2>&1)"
pkgs=$(sed -n '/^FROM ${DEBIAN_IMAGE}$/,$p' Dockerfile | grep -o 'lib[a-z0-9.+-]*[0-9]\b\|ca-certificates' | sort -u)
nopkg=""
for p in $pkgs; do apt-cache show "$p" >/dev/null 2>&1 || nopkg="$nopkg $p"; done
t_eq "the runtime image's Debian packages exist" "" "$nopkg"
