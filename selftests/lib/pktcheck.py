#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check every length and checksum of every packet in a pcap with scapy.

usage: pktcheck.py FILE.pcap

An independent check of selftests/lib/pkt.c: scapy dissects each frame,
recomputes each field below with the field deleted, and compares it with
what the frame holds; then it rebuilds the frame with all of them deleted
and compares the bytes.  One line per packet (numbered from 1):

    N ok FIELD...      every FIELD matches, and so do the rebuilt bytes
    N bad FIELD...     some do not

FIELD is Layer.field (IP.chksum, ICMPv6EchoRequest.cksum, ...), written
Layer.field!have=X,want=Y when it disagrees; a "rebuild!differs-at=N"
token says the full rebuild differs from byte N on.  Quoted headers in
ICMP errors (IPerror, ...) are not checked: they may be cut short.

Exit status: 0 all ok, 1 some bad, 2 usage or read error, 77 no scapy.
"""

import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.compat import raw
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.packet import NoPayload
    from scapy.utils import RawPcapReader
except ImportError as e:
    print(f"pktcheck: no scapy: {e}", file=sys.stderr)
    sys.exit(77)

# Exact classes: subclasses such as IPerror are quotes, not headers.
FIELDS = {
    IP: ("ihl", "len", "chksum"),
    IPv6: ("plen",),
    TCP: ("dataofs", "chksum"),
    UDP: ("len", "chksum"),
    ICMP: ("chksum",),
}


def fields_of(layer):
    cls = type(layer)
    if cls in FIELDS:
        return FIELDS[cls]
    if cls.__name__.startswith("ICMPv6") and any(
            fd.name == "cksum" for fd in layer.fields_desc):
        return ("cksum",)
    return ()


def walk(pkt):
    """(index, layer) for each layer of a dissected packet."""
    i = 0
    while not isinstance(pkt, NoPayload):
        yield i, pkt
        pkt = pkt.payload
        i += 1


def nth(pkt, n):
    for i, layer in walk(pkt):
        if i == n:
            return layer
    return None


def fmt(v):
    return hex(v) if isinstance(v, int) else repr(v)


def check(frame):
    """(ok, tokens) for one frame."""
    pkt = Ether(frame)
    todo = []
    for i, layer in walk(pkt):
        for f in fields_of(layer):
            todo.append((i, type(layer).__name__, f))

    ok = True
    tokens = []
    for i, cls, f in todo:
        q = Ether(frame)
        setattr(nth(q, i), f, None)
        again = nth(Ether(raw(q)), i)
        have = getattr(nth(pkt, i), f)
        want = getattr(again, f) if again is not None else None
        if have == want:
            tokens.append(f"{cls}.{f}")
        else:
            ok = False
            tokens.append(f"{cls}.{f}!have={fmt(have)},want={fmt(want)}")

    q = Ether(frame)
    for i, cls, f in todo:
        setattr(nth(q, i), f, None)
    rebuilt = raw(q)
    if rebuilt != frame:
        ok = False
        n = min(len(rebuilt), len(frame))
        at = next((j for j in range(n) if rebuilt[j] != frame[j]), n)
        tokens.append(f"rebuild!differs-at={at}")
    return ok, tokens


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        reader = RawPcapReader(argv[1])
    except (OSError, EOFError) as e:
        print(f"pktcheck: {argv[1]}: {e}", file=sys.stderr)
        return 2
    if reader.linktype != 1:
        print(f"pktcheck: {argv[1]}: link type {reader.linktype}, not Ethernet",
              file=sys.stderr)
        return 2
    status = 0
    try:
        for n, (frame, _meta) in enumerate(reader, 1):
            ok, tokens = check(bytes(frame))
            if not ok:
                status = 1
            print(n, "ok" if ok else "bad", *tokens)
    finally:
        reader.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
