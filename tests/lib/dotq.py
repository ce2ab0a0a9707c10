#!/usr/bin/env python3
"""A DoT client written with Python's ssl module and dnspython (neither is
ours), for tests/sdnsd_dot.sh: every query in one write on one connection
(RFC 7766 pipelining), the answers read in the order they arrive.

  dotq.py PORT CA CERT KEY [--hold SECONDS] [--wire-dir DIR] NAME:TYPE[:do]...

Prints one JSON line per answer: {"id", "name", "rcode", "padding", "size",
"wire" (hex)}; exit 1 when the handshake or a read fails (message on
stderr). --hold: keep the connection open that long after the answers and
report whether the server closed it ("closed_by_server" line)."""
import json
import socket
import ssl
import struct
import sys
import time

import dns.edns
import dns.message
import dns.rcode


def main():
    args = sys.argv[1:]
    port, ca, cert, key = int(args[0]), args[1], args[2], args[3]
    rest = args[4:]
    hold = 0.0
    if rest and rest[0] == "--hold":
        hold = float(rest[1])
        rest = rest[2:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca)
    if cert != "-":
        ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["dot"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        queries, out = {}, b""
        for i, spec in enumerate(rest):
            parts = spec.split(":")
            q = dns.message.make_query(
                parts[0], parts[1], use_edns=0, payload=1232,
                want_dnssec=len(parts) > 2 and parts[2] == "do",
                options=[dns.edns.GenericOption(dns.edns.PADDING, b"")])
            q.id = 1000 + i
            queries[q.id] = parts[0]
            w = q.to_wire()
            out += struct.pack("!H", len(w)) + w
        s.sendall(out)
        buf = b""
        for _ in rest:
            while True:
                if len(buf) >= 2:
                    n = struct.unpack("!H", buf[:2])[0]
                    if len(buf) >= 2 + n:
                        break
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before every answer")
                buf += chunk
            wire, buf = buf[2:2 + n], buf[2 + n:]
            m = dns.message.from_wire(wire)
            pad = [o for o in m.options if o.otype == dns.edns.PADDING]
            print(json.dumps({
                "id": m.id, "name": queries.get(m.id, "?"),
                "rcode": dns.rcode.to_text(m.rcode()),
                "padding": len(pad) == 1, "size": len(wire),
                "wire": wire.hex()}))
        if hold:
            s.settimeout(hold)
            t0 = time.monotonic()
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except (ssl.SSLError, OSError):
                closed = True
            print(json.dumps({"closed_by_server": closed,
                              "after": round(time.monotonic() - t0, 3)}))
    except (ssl.SSLError, OSError, ConnectionError) as e:
        print(f"dotq: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
