#!/usr/bin/env python3
"""`make bench`: Knot DNS (Debian's knotd) beside sdnsd, the peer issue 11
names. For each size and unsigned/signed (Ed25519, automatic signing): the
time from starting knotd to answering the zone's last name (signed when
signing), knotd's RSS per record (above the same knotd with a one-record
zone), and change -> new answer: a knotc transaction (zone-begin, zone-set,
zone-commit), then UDP queries back to back until the new address comes
(timed from the commit's return, as sdnsd is timed from the API's answer).
Also the time from the first knotc call to the answer (knotc's process
starts and the commit included), as sdnsd's is timed from the POST.
Prints one line per run:
"knot SIZE SIGNED load_ms B/record p50 p99 write_p50 write_p99"."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import dns.message
import dns.query
import dns.rdatatype


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write_zone(path, n):
    with open(path, "w") as f:
        f.write("$ORIGIN big.mesh.\n$TTL 300\n"
                "@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300\n"
                "@ 3600 NS ns1\nns1 A 10.255.0.1\n")
        for i in range(n):
            f.write(f"host{i} 300 A 10.{(i >> 16) & 255}.{(i >> 8) & 255}."
                    f"{i & 255}\n")


CONF = """server:
    rundir: "{d}/run"
    listen: 127.0.0.1@{port}
    user: {user}
log:
  - target: stderr
    any: warning
database:
    storage: "{d}/db"
    journal-db-max-size: 16G
control:
    listen: "{d}/run/knot.sock"
policy:
  - id: ed
    algorithm: ed25519
    single-type-signing: on
    nsec3: off
template:
  - id: default
    storage: "{d}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
    journal-max-usage: 8G
    dnssec-signing: {signing}
    dnssec-policy: ed
zone:
  - domain: big.mesh
"""


def ask(port, name, want_sig, timeout=0.5):
    q = dns.message.make_query(name, dns.rdatatype.A, want_dnssec=want_sig)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)
    except Exception:
        return None
    return r


def answers(r, addr=None, signed=False):
    if r is None or not r.answer:
        return False
    ok_addr = addr is None or any(
        rd.to_text() == addr for rs in r.answer
        if rs.rdtype == dns.rdatatype.A for rd in rs)
    ok_sig = not signed or any(rs.rdtype == dns.rdatatype.RRSIG
                               for rs in r.answer)
    return ok_addr and ok_sig


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(d, n, signed):
    for sub in ("run", "db", "zones"):
        shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
        os.makedirs(os.path.join(d, sub))
    write_zone(os.path.join(d, "zones", "big.mesh.zone"), n)
    port = free_port()
    user = "root:root" if os.getuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    with open(os.path.join(d, "knot.conf"), "w") as f:
        f.write(CONF.format(d=d, port=port, user=user,
                            signing="on" if signed else "off"))
    t0 = time.monotonic()
    p = subprocess.Popen(["knotd", "-c", os.path.join(d, "knot.conf")],
                         stderr=open(os.path.join(d, "knot.log"), "a"))
    last = f"host{n - 1}.big.mesh."
    while not answers(ask(port, last, signed), signed=signed):
        if p.poll() is not None or time.monotonic() - t0 > 600:
            p.kill()
            raise RuntimeError(f"knotd did not serve {n} records (see knot.log)")
        time.sleep(0.05)
    return p, port, (time.monotonic() - t0) * 1000


def knotc(d, *args):
    subprocess.run(["knotc", "-s", os.path.join(d, "run", "knot.sock")] +
                   list(args), check=True, stdout=subprocess.DEVNULL)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int((len(v) - 1) * p))]


def changes(d, port, k, signed):
    lat, e2e = [], []
    for i in range(k):
        addr = f"10.200.{(i >> 8) & 255}.{i & 255}"
        name = f"new{i}.big.mesh."
        tw = time.monotonic()
        knotc(d, "zone-begin", "big.mesh")
        knotc(d, "zone-set", "big.mesh", name, "300", "A", addr)
        knotc(d, "zone-commit", "big.mesh")
        t0 = time.monotonic()
        while not answers(ask(port, name, signed, 0.2), addr, signed):
            if time.monotonic() - t0 > 10:
                break
        t1 = time.monotonic()
        lat.append((t1 - t0) * 1000)
        e2e.append((t1 - tw) * 1000)
    return pct(lat, 0.5), pct(lat, 0.99), pct(e2e, 0.5), pct(e2e, 0.99)


def main():
    sizes = [int(x) for x in sys.argv[1].split()]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    d = tempfile.mkdtemp(prefix="sdns-knot-")
    try:
        for signed in (False, True):
            p, port, _ = start(d, 1, signed)
            base = rss_kb(p.pid)
            p.terminate()
            p.wait()
            for n in sizes:
                p, port, load_ms = start(d, n, signed)
                time.sleep(1)
                bpr = (rss_kb(p.pid) - base) * 1024 // n
                p50, p99, e50, e99 = changes(d, port, k, signed)
                print(f"knot {n} {'yes' if signed else 'no'} {load_ms:.0f} "
                      f"{bpr} {p50:.2f} {p99:.2f} {e50:.2f} {e99:.2f}",
                      flush=True)
                p.terminate()
                p.wait()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
