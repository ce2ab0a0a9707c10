"""Checks a DNS response written by `sdnsctl query --wire-out` with an
independent library (dnspython's dns.dnssec, Debian python3-dnspython).

  meshcheck.py FILE summary            -> "RCODE [ede=N] [A-data ...]"
  meshcheck.py FILE validate APEX PUB  -> "secure N" (RRsets validated
      against DNSKEY 257 3 15 PUB at APEX, the owner's bound zone key), or
      "bogus: why" with exit 1
  meshcheck.py tcp:PORT NAME APEX PUB  -> the same for NAME/A asked with DO
      over TCP to 127.0.0.1:PORT (a node's plain-DNS stub)
"""
import sys
import time

import dns.dnssec
import dns.edns
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


def load(path):
    with open(path, "rb") as f:
        return dns.message.from_wire(f.read())


def summary(m):
    out = [dns.rcode.to_text(m.rcode())]
    for o in m.options:
        if o.otype == dns.edns.EDE:
            out.append("ede=%d" % o.code)
    for rr in m.answer:
        if rr.rdtype == dns.rdatatype.A:
            out.extend(sorted(r.address for r in rr))
    return " ".join(out)


def validate(m, apex, pub):
    apex = dns.name.from_text(apex)
    keys = {apex: dns.rrset.from_text(apex, 3600, "IN", "DNSKEY",
                                      "257 3 15 " + pub)}
    n = 0
    for section in (m.answer, m.authority):
        sigs = [r for r in section if r.rdtype == dns.rdatatype.RRSIG]
        for rr in section:
            if rr.rdtype == dns.rdatatype.RRSIG:
                continue
            cover = [s for s in sigs if s.name == rr.name and
                     any(x.type_covered == rr.rdtype for x in s)]
            if not cover:
                raise dns.dnssec.ValidationFailure(
                    "no RRSIG over %s %s" % (rr.name,
                                             dns.rdatatype.to_text(rr.rdtype)))
            dns.dnssec.validate(rr, cover[0], keys, now=time.time())
            n += 1
    if n == 0:
        raise dns.dnssec.ValidationFailure("nothing signed in the response")
    return n


def main():
    if sys.argv[1].startswith("tcp:"):
        import dns.query
        q = dns.message.make_query(sys.argv[2], "A", want_dnssec=True)
        m = dns.query.tcp(q, "127.0.0.1", port=int(sys.argv[1][4:]), timeout=5)
        sys.argv[2:] = ["validate"] + sys.argv[3:]
        print(summary(m), end=": ")
    else:
        m = load(sys.argv[1])
    if sys.argv[2] == "summary":
        print(summary(m))
        return 0
    try:
        print("secure %d" % validate(m, sys.argv[3], sys.argv[4]))
        return 0
    except dns.dnssec.ValidationFailure as e:
        print("bogus: %s" % e)
        return 1


sys.exit(main())
