#!/usr/bin/env bash
# deploy/k8s without a cluster: parse every manifest (python3-yaml) and check
# that what they refer to exists and agrees: images the project builds or
# names (docker-compose.yml), programs the Dockerfile puts in the image,
# volumes, ConfigMaps, Secrets (kustomization.yaml's secretGenerator) and
# their keys, Services' selectors and ports, sdnsd's config keys (options of
# sdnsd --help) and listen ports, the PostgreSQL roles and database, the
# CoreDNS snippet.
. "$(dirname "$0")/lib/shtest.sh"
t_setup k8s
cd "$ROOT"
"$BIN/sdnsd" --help >"$T_DIR/sdnsd.help" 2>&1

check() { # check "what" PYTHON-BODY (appends problems with bad(); none = pass)
	local what=$1 out
	out=$($PY - "$2" "$T_DIR/sdnsd.help" 2>&1 <<'PY'
import glob, json, os, re, shlex, sys, yaml
K = "deploy/k8s"
files = sorted(glob.glob(K + "/*.yaml"))
docs = []            # (file, document) for every Kubernetes object
kust = None
for f in files:
    for d in yaml.safe_load_all(open(f)):
        if d is None:
            continue
        if d.get("kind") == "Kustomization":
            kust = d
        else:
            docs.append((f, d))
objs = {(d["kind"], d["metadata"]["name"]): d for _, d in docs if "metadata" in d}
WORKLOADS = ("StatefulSet", "DaemonSet", "Deployment", "Job")
workloads = [d for _, d in docs if d.get("kind") in WORKLOADS]
def pod(w): return w["spec"]["template"]["spec"]
def containers(w): return pod(w).get("initContainers", []) + pod(w)["containers"]
readme = open("README.md").read()
# Secrets come from kustomization.yaml's secretGenerator, out of files kept
# out of git: a file's key is its name (or KEY= before the path), an env
# file's keys those of its .example
secrets = {}
for g in (kust or {}).get("secretGenerator", []):
    keys = {f.split("=", 1)[0] if "=" in f else os.path.basename(f) for f in g.get("files", [])}
    for e in g.get("envs", []):
        keys |= {ln.split("=", 1)[0] for ln in open(os.path.join(K, e + ".example")) if "=" in ln and not ln.startswith("#")}
    secrets[g["name"]] = keys
compose = yaml.safe_load(open("docker-compose.yml"))
docker = open("Dockerfile").read()
sdnsd_opts = set(re.findall(r"^  --([a-z][a-z0-9-]*)", open(sys.argv[2]).read(), re.M))
def config_of(cm_name):
    return json.loads(objs[("ConfigMap", cm_name)]["data"]["sdnsd.json"])
probs = []
def bad(m): probs.append(m)
exec(sys.argv[1])
print("\n".join(probs))
sys.exit(1 if probs else 0)
PY
) && t_pass "$what" || t_fail "$what" "$out"
}

check "every manifest parses, every object has apiVersion, kind, metadata.name, namespace sdns" '
if not files: bad("no manifests in " + K)
for f, d in docs:
    for k in ("apiVersion", "kind", "metadata"):
        if k not in d: bad("%s: an object without %s" % (f, k))
    md = d.get("metadata", {})
    if not md.get("name"): bad("%s: %s without metadata.name" % (f, d.get("kind")))
    if d.get("kind") != "Namespace" and md.get("namespace") != "sdns":
        bad("%s: %s/%s not in namespace sdns" % (f, d.get("kind"), md.get("name")))
kinds = sorted({d["kind"] for _, d in docs})
want = ["ConfigMap", "DaemonSet", "Namespace", "Service", "StatefulSet"]
if kinds != want: bad("kinds: %s" % kinds)
'

check "kustomization.yaml lists every manifest, and only those" '
if kust is None: bad("no kustomization.yaml")
else:
    res = sorted(os.path.join(K, r) for r in kust.get("resources", []))
    if res != sorted(f for f in files if not f.endswith("kustomization.yaml")):
        bad("resources %s vs files %s" % (res, files))
    if kust.get("namespace") != "sdns": bad("kustomization namespace")
'

check "the workloads: PostgreSQL and a node as StatefulSets, the stub as a DaemonSet" '
have = sorted((w["kind"], w["metadata"]["name"]) for w in workloads)
want = [("DaemonSet", "sdns-stub"), ("StatefulSet", "sdns-node"), ("StatefulSet", "sdns-postgres")]
if have != want: bad("workloads: %s" % have)
for w in workloads:
    sel = w["spec"]["selector"]["matchLabels"]
    labels = w["spec"]["template"]["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in sel.items()): bad(w["metadata"]["name"] + ": selector does not match its pods")
'

check "images: the one the Dockerfile builds (docker-compose.yml names it) and PostgreSQL 15" '
# an image given as ${VAR:-default} in the compose file is its default
named = {re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", s["image"]) for s in compose["services"].values() if s.get("image")}
for w in workloads:
    for c in containers(w):
        if c["image"] not in named: bad("%s/%s: image %s is neither built nor named by docker-compose.yml" % (w["metadata"]["name"], c["name"], c["image"]))
if not any(c["image"].startswith("postgres:15") for w in workloads for c in containers(w)): bad("no PostgreSQL 15")
'

check "every program a container or probe runs is where the Dockerfile puts it" '
dests = set()
for m in re.finditer(r"^COPY\s+(.+)$", docker, re.M):
    parts = [p for p in m.group(1).split() if not p.startswith("--")]
    dst = parts[-1]
    for src in parts[:-1]:
        dests.add(dst.rstrip("/") + "/" + os.path.basename(src) if dst.endswith("/") else dst)
def progs(c):
    out = []
    cmd = c.get("command") or []
    if cmd[:2] == ["/bin/sh", "-c"]: out += re.findall(r"/opt/\S+", cmd[2])
    elif cmd: out.append(cmd[0])
    for p in ("readinessProbe", "livenessProbe", "startupProbe"):
        e = c.get(p, {}).get("exec")
        if e and e["command"][0].startswith("/opt/"): out.append(e["command"][0])
    return out
for w in workloads:
    for c in containers(w):
        if not c["image"].startswith("secure-dns"): continue
        for p in progs(c):
            if p not in dests and not any(p.startswith(d + "/") for d in dests):
                bad("%s/%s runs %s, which the Dockerfile does not copy" % (w["metadata"]["name"], c["name"], p))
'

check "volumes, ConfigMaps and Secrets exist, with the keys used" '
for w in workloads:
    n = w["metadata"]["name"]
    vols = {v["name"]: v for v in pod(w).get("volumes", [])}
    vols.update({t["metadata"]["name"]: {"pvc": 1} for t in w["spec"].get("volumeClaimTemplates", [])})
    for v in vols.values():
        if "configMap" in v and ("ConfigMap", v["configMap"]["name"]) not in objs: bad(n + ": no ConfigMap " + v["configMap"]["name"])
        if "secret" in v and v["secret"]["secretName"] not in secrets: bad(n + ": Secret %s is not generated" % v["secret"]["secretName"])
    for c in containers(w):
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols: bad("%s/%s mounts %s, which is no volume" % (n, c["name"], m["name"]))
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["key"] not in secrets.get(ref["name"], set()):
                bad("%s/%s: Secret %s has no key %s" % (n, c["name"], ref["name"], ref["key"]))
'

check "sdnsd configs: JSON, every key an sdnsd option, every file in a mounted Secret" '
for w in workloads:
    for c in pod(w)["containers"]:
        cmd = c.get("command") or []
        if "--config" not in cmd: continue
        path = cmd[cmd.index("--config") + 1]
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        vols = {v["name"]: v for v in pod(w)["volumes"]}
        d, f = os.path.split(path)
        cm = vols[mounts[d]]["configMap"]["name"]
        if f not in objs[("ConfigMap", cm)]["data"]: bad("%s: no %s in ConfigMap %s" % (w["metadata"]["name"], f, cm)); continue
        conf = config_of(cm)
        for k in conf:
            if k.replace("_", "-") not in sdnsd_opts: bad("%s: %s is no sdnsd option" % (cm, k))
        for k in ("tls_cert", "tls_key", "tls_ca", "zone_key", "audit_key"):
            d, f = os.path.split(conf.get(k, "/missing/" + k))
            v = vols.get(mounts.get(d), {})
            if "secret" not in v or f not in secrets.get(v["secret"]["secretName"], set()):
                bad("%s: %s %s is not a key of a mounted Secret" % (cm, k, conf.get(k)))
        if conf.get("state_dir") not in mounts: bad(cm + ": state_dir is not a volume")
'

check "ports: containerPorts are the ports sdnsd listens on, Services point at them" '
for w in workloads:
    for c in pod(w)["containers"]:
        cmd = c.get("command") or []
        if "--config" not in cmd: continue
        conf = config_of([v for v in pod(w)["volumes"] if "configMap" in v][0]["configMap"]["name"])
        listen = {"doq": conf.get("doq_listen"), "api": conf.get("api_listen"),
                  "dns-udp": conf.get("stub_listen"), "dns-tcp": conf.get("stub_listen")}
        for p in c.get("ports", []):
            a = listen.get(p["name"])
            if not a or int(a.rsplit(":", 1)[1]) != p["containerPort"]: bad("%s: port %s %s vs sdnsd %s" % (w["metadata"]["name"], p["name"], p["containerPort"], a))
            if a and a.startswith("127."): bad("%s: port %s is exposed but sdnsd listens on loopback" % (w["metadata"]["name"], p["name"]))
            want = "UDP" if p["name"] in ("doq", "dns-udp") else "TCP"
            if p.get("protocol", "TCP") != want: bad("%s: %s is %s" % (w["metadata"]["name"], p["name"], want))
        probe = c.get("readinessProbe", {}).get("exec", {}).get("command", [])
        if "--api" in probe:
            port = probe[probe.index("--api") + 1].rsplit(":", 1)[1]
            if port != conf["api_listen"].rsplit(":", 1)[1]: bad(w["metadata"]["name"] + ": the probe asks another API port")
        tcp = c.get("livenessProbe", {}).get("tcpSocket", {}).get("port")
        if tcp and tcp not in [p["name"] for p in c.get("ports", [])]: bad(w["metadata"]["name"] + ": liveness on no port")
for (kind, name), s in objs.items():
    if kind != "Service": continue
    sel = s["spec"]["selector"]
    ws = [w for w in workloads if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())]
    if len(ws) != 1: bad("Service %s selects %d workloads" % (name, len(ws))); continue
    cports = {(p["name"], p.get("protocol", "TCP")) for c in pod(ws[0])["containers"] for p in c.get("ports", [])}
    for p in s["spec"]["ports"]:
        if (p["targetPort"], p.get("protocol", "TCP")) not in cports: bad("Service %s: targetPort %s/%s is no container port" % (name, p["targetPort"], p.get("protocol")))
node = {(p["port"], p["protocol"]) for p in objs[("Service", "sdns-node")]["spec"]["ports"]}
if node != {(853, "UDP"), (8443, "TCP")}: bad("sdns-node Service ports %s" % node)
stub = objs[("Service", "sdns-stub")]["spec"]
if {(p["port"], p["protocol"]) for p in stub["ports"]} != {(53, "UDP"), (53, "TCP")}: bad("sdns-stub ports")
if stub.get("internalTrafficPolicy") != "Local": bad("sdns-stub is not node-local")
if objs[("Service", "sdns-postgres")]["spec"]["ports"][0]["port"] != 5432: bad("postgres port")
'

check "the databases: sdnsd runs as sdns_app, migrates as sdns_owner, both made by the init script" '
init = objs[("ConfigMap", "sdns-pg-init")]["data"]["10-sdns.sh"]
for role in ("sdns_owner", "sdns_app"):
    if "CREATE ROLE %s LOGIN" % role not in init: bad("init makes no role " + role)
if "CREATE DATABASE sdns OWNER sdns_owner" not in init: bad("init makes no database sdns")
for cm in ("sdns-node-config", "sdns-stub-config"):
    db = dict(kv.split("=", 1) for kv in config_of(cm)["db"].split())
    if db != {"host": "sdns-postgres", "dbname": "sdns", "user": "sdns_app"}: bad(cm + ": db " + str(db))
    if "password" in config_of(cm)["db"]: bad(cm + ": a password in the config")
mig = [c for c in pod(objs[("StatefulSet", "sdns-node")]).get("initContainers", []) if c["name"] == "migrate"]
if not mig or "--migrate" not in mig[0]["command"][2] or "user=sdns_owner" not in mig[0]["command"][2] or "--db-runtime-role sdns_app" not in mig[0]["command"][2]:
    bad("the node does not migrate as sdns_owner first")
for w in workloads:
    for c in pod(w)["containers"]:
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef", {})
            if ref.get("key") == "owner-password" and w["metadata"]["name"] != "sdns-postgres": bad(w["metadata"]["name"] + "/" + c["name"] + " sees the owner password")
'

check "sdnsd containers run unprivileged, read-only, with no capability" '
for w in workloads:
    if w["metadata"]["name"] == "sdns-postgres": continue
    if not pod(w).get("securityContext", {}).get("runAsNonRoot"): bad(w["metadata"]["name"] + ": not runAsNonRoot")
    for c in containers(w):
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False or not sc.get("readOnlyRootFilesystem") or sc.get("capabilities", {}).get("drop") != ["ALL"]:
            bad("%s/%s: securityContext %s" % (w["metadata"]["name"], c["name"], sc))
'

check "the CoreDNS snippet forwards mesh names and other names to the stub Service port" '
core = open(K + "/coredns-forward.conf").read()
port = [p["port"] for p in objs[("Service", "sdns-stub")]["spec"]["ports"]][0]
blocks = re.findall(r"^(\S+):53 \{(.*?)^\}", core, re.M | re.S)
names = [b[0] for b in blocks]
if names != ["mesh", "."]: bad("server blocks %s" % names)
for n, body in blocks:
    if not re.search(r"^\s*forward \. STUB_IP:%d$" % port, body, re.M): bad(n + " does not forward to STUB_IP:%d" % port)
if "kubernetes cluster.local" not in dict(blocks).get(".", ""): bad("the cluster names left CoreDNS")
if "kubectl -n sdns get svc sdns-stub" not in core: bad("no word on STUB_IP")
'

check "the Secrets are generated from files git ignores, and the README says how to make them" '
if set(secrets) != {"sdns-db", "sdns-node-pki"}: bad("Secrets: %s" % sorted(secrets))
ign = open(K + "/.gitignore").read().split()
for g in kust.get("secretGenerator", []):
    for f in g.get("files", []) + g.get("envs", []):
        f = f.split("=", 1)[-1]
        if not any(f.startswith(i.strip("/")) for i in ign): bad(f + " is not in deploy/k8s/.gitignore")
for s in ("kubectl apply -k deploy/k8s", "coredns-forward.conf", "--dir deploy/k8s/pki", "deploy/k8s/db.env"):
    if s not in readme: bad("README lacks " + s)
'
t_ok "git ignores the generated Secrets' files" bash -c 'cd deploy/k8s && git check-ignore -q pki/node.key && git check-ignore -q db.env'
t_done
