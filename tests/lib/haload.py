#!/usr/bin/python3
"""Write load for tests/sdnsd_ha.sh: one thread per sdnsd adds A records
through the API (mutual TLS, a kept-alive connection) until STOP-FILE
exists; a 503 or a lost connection retries the same record (a 409 on the
retry means the first try committed though its answer was lost). Another
thread polls GET /healthz of every node. Prints JSON: per node the names
acknowledged with 201, the status counts, the time of every 201, and the
healthz answers seen (status code and body "status"), all times in
seconds since the epoch.

usage: haload.py CA CERT KEY STOP-FILE PORT:ZONE..."""
import http.client
import json
import os
import ssl
import sys
import threading
import time

ca, cert, key, stop_file = sys.argv[1:5]
nodes = [a.split(":", 1) for a in sys.argv[5:]]


def tls():
    c = ssl.create_default_context(cafile=ca)
    c.load_cert_chain(cert, key)
    return c


def ask(conn, method, path, body=None):
    """(status, retry_after, body dict) or raises on a lost connection."""
    hdr = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=hdr)
    r = conn.getresponse()
    data = r.read()
    try:
        j = json.loads(data) if data else {}
    except ValueError:
        j = {"raw": data.decode("latin-1")}
    return r.status, r.getheader("Retry-After"), j


def writer(port, zone, out):
    ctx = tls()
    conn = None
    n = 0
    out.update(acked=[], ok_times=[], status={}, no_retry_after=0,
               lost=0, errors=[], conflict_after_retry=[])
    while not os.path.exists(stop_file):
        name = "w%d.%s" % (n, zone)
        rec = {"name": name, "type": "A", "ttl": 300,
               "value": "10.%d.%d.%d" % (n >> 16 & 255, n >> 8 & 255, n & 255)}
        retried = False
        while not os.path.exists(stop_file):
            if conn is None:
                conn = http.client.HTTPSConnection("localhost", int(port),
                                                   context=ctx, timeout=10)
            try:
                st, ra, body = ask(conn, "POST", "/zones/%s/records" % zone, rec)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                out["lost"] += 1
                retried = True
                time.sleep(0.02)
                continue
            out["status"][str(st)] = out["status"].get(str(st), 0) + 1
            if st == 201:
                out["acked"].append(name)
                out["ok_times"].append(time.time())
                break
            if st == 409 and retried:
                out["conflict_after_retry"].append(name)
                break
            if st == 503:
                if ra is None:
                    out["no_retry_after"] += 1
                retried = True
                time.sleep(0.02)   # sooner than Retry-After: we measure
                continue
            out["errors"].append([st, body])
            break
        n += 1


def health(out):
    ctx = tls()
    conns = {}
    for port, _ in nodes:
        out[port] = []
    while not os.path.exists(stop_file):
        for port, _ in nodes:
            try:
                c = conns.get(port) or http.client.HTTPSConnection(
                    "localhost", int(port), context=ctx, timeout=5)
                conns[port] = c
                st, _, body = ask(c, "GET", "/healthz")
                seen = "%d %s" % (st, body.get("status"))
            except (OSError, http.client.HTTPException):
                conns.pop(port, None)
                seen = "lost"
            h = out[port]
            if not h or h[-1][1] != seen:
                h.append([time.time(), seen])
        time.sleep(0.05)


res = {port: {} for port, _ in nodes}
hres = {}
th = [threading.Thread(target=writer, args=(p, z, res[p])) for p, z in nodes]
th.append(threading.Thread(target=health, args=(hres,)))
for t in th:
    t.start()
for t in th:
    t.join()
print(json.dumps({"writers": res, "healthz": hres}))
