# SPDX-License-Identifier: GPL-2.0-only
"""Random rule sets and packets for the differential tests, and the
comparison of "sluice test-run -j" with selftests/lib/refmatch.py.

  diffgen.py gen --dir D --seed S [--rules N] [--packets N] [--mode M]
      writes D/sluice.conf, D/packets.pcap, D/expected.json, D/meta.json
  diffgen.py compare --dir D --hook H GOT.json
      exit 0 when every packet agrees, else prints each difference

Modes: "full" draws every field the grammar has with any prefix length
and port ranges; "few" keeps the rule shapes to a handful of templates
(prefix lengths /16, /24, /32, /48, /64, /128, exact ports) and the
packets well formed, so that a classifier limited to 64 shapes takes
it; "mix" is the everyday twelve-shape mix of issue 8 with a set "blk"
and a last rule "src @blk drop".

Packets are biased towards the rules: most are drawn to satisfy one rule
(a third of those one of the lowest-priority tenth), from the rules' own
prefixes, sets and ports, then dressed (VLAN tags, IPv4 options, IPv6
extension headers, fragments) and, in "full", often broken (cut at any
layer, bad IHL, bad version, lengths too long or too short, ...).
"""

import argparse
import ipaddress
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refmatch as ref  # noqa: E402

import logging  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6Unknown, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN)
from scapy.packet import Raw  # noqa: E402

IFACES = ("dfa0", "dfb0", "dfc0")


def rand_net(rng, fam, plen, base=None):
    bits = 32 if fam == 4 else 128
    a = base if base is not None else rng.getrandbits(bits)
    a &= ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1)
    cls = ipaddress.IPv4Network if fam == 4 else ipaddress.IPv6Network
    return cls((a, plen))


def addr_in(rng, net):
    """A random address of net."""
    host = net.max_prefixlen - net.prefixlen
    return net.network_address + (rng.getrandbits(host) if host else 0)


class Pools:
    """Addresses and ports rules and packets share, so that prefixes
    nest and overlap, and packets land inside them."""

    def __init__(self, rng):
        self.rng = rng
        self.a4 = [rng.getrandbits(32) for _ in range(24)]
        # Mostly in one /32 so that short and long IPv6 prefixes nest.
        top = rng.getrandbits(32) << 96
        self.a6 = [top | rng.getrandbits(96) if rng.random() < .7
                   else rng.getrandbits(128) for _ in range(24)]
        self.ports = [rng.choice((22, 53, 80, 443, 0, 65535, 1024))
                      if rng.random() < .3 else rng.randrange(65536)
                      for _ in range(24)]

    def net(self, fam, plen):
        base = self.rng.choice(self.a4 if fam == 4 else self.a6)
        return rand_net(self.rng, fam, plen, base)

    def port(self):
        return self.rng.choice(self.ports)


def full_plen(rng, fam):
    bits = 32 if fam == 4 else 128
    r = rng.random()
    if r < .03:
        return 0
    if r < .25:
        return rng.randint(1, bits // 2)
    return rng.randint(bits // 2, bits)


def set_plen(rng, fam):
    bits = 32 if fam == 4 else 128
    if rng.random() < .02:
        return rng.randint(0, bits // 4)
    return rng.randint(bits // 4, bits)


def gen_sets(rng, pools, n, plen):
    sets = {}
    for i in range(n):
        nets = set()
        for _ in range(rng.randint(0, 40)):
            fam = 4 if rng.random() < .6 else 6
            nets.add(pools.net(fam, plen(fam)))
        sets["s%d" % i] = sorted(nets, key=lambda x: (x.version, x))
    return sets


def gen_port_range(rng, pools, ranges):
    p = pools.port()
    if not ranges or rng.random() < .5:
        return (p, p)
    wide = rng.random() < .1
    lo = max(0, p - rng.choice((0, 1, rng.randrange(300), rng.randrange(70000) if wide else 7)))
    hi = min(65535, p + rng.choice((0, 1, rng.randrange(300), rng.randrange(70000) if wide else 8)))
    return (lo, hi)


def broad(r):
    """Matches a large share of all packets: it would hide the rules
    after it."""
    return (r.src is None and r.dst is None and r.sport is None and r.dport is None
            and r.tcp_flags is None and r.icmp_type is None and r.vlan is None
            and r.icmp_code is None
            and r.proto in (None, ref.TCP, ref.UDP, ref.ICMP, ref.ICMPV6))


# IP lengths rules and packets share: the packets are mostly short.
LENGTHS = (20, 28, 40, 48, 60, 64, 100, 128, 200, 576, 1280, 1500)


def gen_length(rng):
    lo = rng.choice(LENGTHS) if rng.random() < .5 else rng.randrange(400)
    x = rng.random()
    if x < .3:
        return (lo, lo)
    if x < .5:
        return (lo, ref.IP_LEN_MAX)
    if x < .6:
        return (0, lo)
    return (lo, min(ref.IP_LEN_MAX, lo + rng.randrange(300)))


def gen_frag(rng, v6):
    """Mostly the bits of one kind of packet under a random mask, so
    that packets can meet them; now and then any bits at all."""
    kinds = FRAG_KINDS[:4] if v6 else FRAG_KINDS
    mask = rng.randrange(1, 16)
    if rng.random() < .15:
        val = rng.randrange(16) & mask
    else:
        val = frag_bits(*rng.choice(kinds)) & mask
    if v6:
        # The grammar refuses dont-fragment with IPv6 prefixes.
        val &= ~ref.DF
    return (mask, val)


def gen_full_rule(rng, pools, prio, sets, ifaces):
    while True:
        r = gen_any_rule(rng, pools, prio, sets, ifaces)
        # A few broad rules, low in the list, so most of it stays reachable.
        if not broad(r) or rng.random() < .02:
            return r


def gen_any_rule(rng, pools, prio, sets, ifaces):
    r = ref.Rule(prio, rng.choice(("drop", "pass")))
    fam = 4 if rng.random() < .6 else 6
    if rng.random() < .1:
        r.iface = rng.choice(ifaces)
    for k in ("src", "dst"):
        x = rng.random()
        if x < .12 and sets:
            setattr(r, k, "@" + rng.choice(sorted(sets)))
        elif x < .6:
            setattr(r, k, pools.net(fam, full_plen(rng, fam)))
    x = rng.random()
    if x < .25:
        r.proto = ref.TCP
    elif x < .45:
        r.proto = ref.UDP
    elif x < .52:
        r.proto = ref.ICMP if fam == 4 else ref.ICMPV6
    elif x < .55:
        r.proto = rng.choice((ref.ICMP, ref.ICMPV6))
    elif x < .6:
        r.proto = rng.choice((0, 4, 41, 47, 50, 51, 59, 132, 253, 255))
    if r.proto in (None, ref.TCP, ref.UDP):
        if rng.random() < .35:
            r.sport = gen_port_range(rng, pools, True)
        if rng.random() < .45:
            r.dport = gen_port_range(rng, pools, True)
    if r.proto in (None, ref.TCP) and rng.random() < .2:
        mask = rng.randrange(1, 256)
        r.tcp_flags = (mask, rng.randrange(256) & mask)
    if r.proto in (None, ref.ICMP, ref.ICMPV6) and rng.random() < .2:
        r.icmp_type = rng.choice((0, 8, 128, 129, 3, 255, rng.randrange(256)))
    if r.proto in (None, ref.ICMP, ref.ICMPV6) and rng.random() < .3:
        r.icmp_code = rng.choice((0, 1, 3, 4, 255, rng.randrange(256)))
    if rng.random() < .08:
        r.vlan = rng.choice((0, 1, 100, 4095, rng.randrange(4096)))
    if rng.random() < .1:
        r.dscp = rng.choice((0, 0, 46, 10, 63, rng.randrange(64)))
    if rng.random() < .1:
        r.length = gen_length(rng)
    if rng.random() < .15:
        v6 = any(isinstance(m, ipaddress.IPv6Network) for m in (r.src, r.dst))
        r.frag = gen_frag(rng, v6)
    return r


def few_rule(rng, pools, prio, sets, ifaces):
    """One of a few fixed shapes: a 64-shape classifier takes them all."""
    r = ref.Rule(prio, rng.choice(("drop", "pass")))
    t = rng.randrange(14)
    if t == 0:
        r.src = pools.net(4, 24)
    elif t == 1:
        r.dst = pools.net(4, 32)
    elif t == 2:
        r.src, r.proto, r.dport = pools.net(4, 16), ref.UDP, (pools.port(),) * 2
    elif t == 3:
        r.proto, r.tcp_flags, r.dport = ref.TCP, (0x12, 0x02), (pools.port(),) * 2
    elif t == 4:
        r.src = "@s0"
    elif t == 5:
        r.dst, r.proto = "@s1", ref.TCP
    elif t == 6:
        r.src, r.proto, r.dport = pools.net(6, 64), ref.UDP, (pools.port(),) * 2
    elif t == 7:
        r.vlan = rng.choice((1, 100, rng.randrange(4096)))
    elif t == 8:
        r.iface, r.proto, r.icmp_type = rng.choice(ifaces), ref.ICMP, rng.choice((0, 8))
    elif t == 9:
        r.proto = rng.choice((47, 50, 132))
    elif t == 10:
        r.src, r.dst = pools.net(4, 24), pools.net(4, 24)
    elif t == 11:
        r.proto, r.sport = ref.TCP, (pools.port(),) * 2
    elif t == 12:
        r.src, r.dst = pools.net(6, 48), pools.net(6, 128)
    else:
        r.icmp_type = rng.choice((8, 128))
    return r


def gen_mix(rng, n, ifaces):
    """The everyday mix of issue 8, priorities 100 upward, then blk."""
    pools = Pools(rng)
    sets = {"blk": sorted({rand_net(rng, 4, rng.randint(24, 32)) for _ in range(2000)})}

    def P():
        return pools.net(4, rng.randint(8, 32))

    def N():
        return rng.randrange(65536)
    rules = []
    for i in range(n):
        r = ref.Rule(100 + i, "drop")
        t = i % 12
        if t == 0:
            r.src, r.proto, r.dport = P(), ref.UDP, (N(),) * 2
        elif t == 1:
            lo = N()
            r.src, r.dst, r.proto = P(), P(), ref.UDP
            r.sport = (lo, min(65535, lo + rng.randint(0, 100)))
        elif t == 2:
            r.dst, r.proto, r.dport = P(), ref.TCP, (N(),) * 2
        elif t == 3:
            r.proto, r.tcp_flags, r.dport = ref.TCP, (0x12, 0x02), (N(),) * 2
        elif t == 4:
            r.src, r.proto, r.icmp_type = P(), ref.ICMP, 8
        elif t == 5:
            lo = N()
            r.proto, r.dport = ref.UDP, (lo, min(65535, lo + rng.randint(0, 200)))
        elif t == 6:
            r.iface, r.proto, r.dport = ifaces[1], ref.UDP, (N(),) * 2
        elif t == 7:
            r.src = ipaddress.IPv6Network("2001:db8:%x:%x::/64" % (
                rng.randrange(65536), rng.randrange(65536)))
            r.proto, r.dport = ref.UDP, (N(),) * 2
        elif t == 8:
            r.dst, r.action = P(), "pass"
        elif t == 9:
            r.proto, r.sport, r.dport = ref.UDP, (N(),) * 2, (N(),) * 2
        elif t == 10:
            r.vlan, r.proto = rng.randrange(4096), ref.UDP
        else:
            r.src, r.dst = P(), P()
        rules.append(r)
    rules.append(ref.Rule(60000, "drop", src="@blk"))
    return ref.Ruleset(rules, sets, {ifaces[0]: "pass", ifaces[1]: "drop"})


def gen_ruleset(rng, n, mode, ifaces=IFACES):
    if mode == "mix":
        return gen_mix(rng, n, ifaces)
    pools = Pools(rng)
    if mode == "few":
        sets = gen_sets(rng, pools, 2, lambda fam: 24 if fam == 4 else 64)
        mk = few_rule
    else:
        sets = gen_sets(rng, pools, rng.randint(2, 6), lambda fam: set_plen(rng, fam))
        mk = gen_full_rule
    prios = rng.sample(range(1, 65536), n)
    rules = [mk(rng, pools, p, sets, ifaces) for p in prios]
    rs = ref.Ruleset(rules, sets, {i: rng.choice(("pass", "drop")) for i in ifaces})
    rs.pools = pools
    return rs


# --- packets -------------------------------------------------------------

def pick_addr(rng, rs, m, fam):
    """An address of family fam satisfying match m (None: anything)."""
    if isinstance(m, str):
        nets = [x for x in rs.sets[m[1:]] if x.version == fam]
        if nets:
            return addr_in(rng, rng.choice(nets))
    elif m is not None and m.version == fam:
        return addr_in(rng, m)
    # Near some rule's prefix or a set's, or anywhere.
    nets = [x for r in rs.rules for x in (r.src, r.dst)
            if x is not None and not isinstance(x, str) and x.version == fam]
    if nets and rng.random() < .7:
        return addr_in(rng, rng.choice(nets))
    return addr_in(rng, rand_net(rng, fam, 0))


def rule_family(rng, r):
    for m in (r.src, r.dst):
        if m is not None and not isinstance(m, str):
            return m.version
    if r.proto == ref.ICMP:
        return 4
    if r.proto == ref.ICMPV6:
        return 6
    return 4 if rng.random() < .6 else 6


def packet_spec(rng, rs, r):
    """Fields of a packet meant to satisfy rule r (None: random)."""
    r = r or ref.Rule(0)
    fam = rule_family(rng, r)
    s = {"fam": fam}
    s["src"] = pick_addr(rng, rs, r.src, fam)
    s["dst"] = pick_addr(rng, rs, r.dst, fam)
    proto = r.proto
    if proto is None:
        if r.tcp_flags is not None:
            proto = ref.TCP
        elif r.sport is not None or r.dport is not None:
            proto = rng.choice((ref.TCP, ref.UDP))
        elif r.icmp_type is not None or r.icmp_code is not None:
            proto = ref.ICMP if fam == 4 else ref.ICMPV6
        else:
            proto = rng.choice((ref.TCP, ref.UDP, ref.TCP, ref.UDP,
                                ref.ICMP if fam == 4 else ref.ICMPV6,
                                47, 50, 132, 59, 255))
    s["proto"] = proto
    ports = [p for x in rs.rules for p in (x.sport, x.dport) if p is not None]

    def port(want):
        if want is not None:
            return rng.randint(*want)
        if ports and rng.random() < .6:
            return rng.randint(*rng.choice(ports))
        return rng.randrange(65536)
    s["sport"], s["dport"] = port(r.sport), port(r.dport)
    flags = rng.randrange(256)
    if r.tcp_flags is not None:
        flags = (flags & ~r.tcp_flags[0]) | r.tcp_flags[1]
    s["flags"] = flags
    s["icmp"] = r.icmp_type if r.icmp_type is not None else rng.choice(
        (0, 8, 128, 129, rng.randrange(256)))
    s["code"] = r.icmp_code if r.icmp_code is not None else rng.choice(
        (0, 0, 1, 3, rng.randrange(256)))
    dscps = [x.dscp for x in rs.rules if x.dscp is not None]
    if r.dscp is not None:
        dscp = r.dscp
    elif dscps and rng.random() < .3:
        dscp = rng.choice(dscps)
    else:
        dscp = rng.choice((0, 0, 0, rng.randrange(64)))
    s["tos"] = dscp << 2 | rng.randrange(4)  # ECN bits aside
    s["len"] = None
    if r.length is not None:
        lo, hi = r.length
        s["len"] = rng.randint(lo, min(hi, lo + 200, 9000))
    elif rng.random() < .1:
        s["len"] = rng.choice(LENGTHS)
    # The fragment kind: one that meets the rule's bits, if any does.
    kinds = FRAG_KINDS[:4] if fam == 6 else FRAG_KINDS
    if r.frag is not None:
        ok = [k for k in kinds if frag_bits(*k) & r.frag[0] == r.frag[1]]
        s["frag"], s["df"] = rng.choice(ok or kinds)
    else:
        s["frag"] = "random"
        s["df"] = fam == 4 and rng.random() < .3
    tags = []
    if r.vlan is not None or rng.random() < .2:
        tags.append((rng.choice(ref.TPIDS),
                     (r.vlan if r.vlan is not None else rng.randrange(4096)) | rng.randrange(16) << 12))
        if rng.random() < .3:
            tags.append((0x8100, rng.randrange(65536)))
    s["tags"] = tags
    return s


# Kinds of packets as fragments: (which fragment, DF); IPv6's first four.
FRAG_KINDS = ((None, False), ("first", False), ("middle", False),
              ("last", False), (None, True), ("first", True),
              ("middle", True), ("last", True))


def frag_bits(kind, df):
    """What the fragment flags of a packet of this kind are."""
    bits = {None: 0, "first": ref.FIRST_FRAG, "middle": ref.IS_FRAG,
            "last": ref.IS_FRAG | ref.LAST_FRAG}[kind]
    return bits | (ref.DF if df else 0)


def pad_to(pkt, want):
    """The packet with zero bytes after its last layer, so that its IP
    length (what its header counts) is want, when it is shorter."""
    cur = len(bytes(pkt))
    if want is None or cur >= want:
        return pkt
    return pkt / Raw(bytes(want - cur))


def l4_layer(rng, s):
    pay = Raw(bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 0, 3, 12, 40)))))
    p = s["proto"]
    if p == ref.TCP:
        opts = [] if rng.random() < .7 else [("MSS", 1460), ("NOP", None), ("WScale", 7)]
        return TCP(sport=s["sport"], dport=s["dport"], flags=s["flags"], options=opts) / pay
    if p == ref.UDP:
        return UDP(sport=s["sport"], dport=s["dport"]) / pay
    if p == ref.ICMP and s["fam"] == 4:
        return ICMP(type=s["icmp"], code=s["code"]) / pay
    if p == ref.ICMPV6 and s["fam"] == 6:
        return ICMPv6Unknown(type=s["icmp"], code=s["code"]) / pay
    # Another protocol, or ICMP of the other family: a few raw bytes.
    return Raw(bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 4, 8, 30)))))


def ext_header(rng, kind):
    if kind == 0:
        return IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * rng.choice((4, 12)))])
    if kind == 60:
        return IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * rng.choice((4, 20)))])
    if kind == 43:
        return IPv6ExtHdrRouting(addresses=[str(addr_in(rng, rand_net(rng, 6, 0)))
                                            for _ in range(rng.randint(0, 2))])
    return IPv6ExtHdrFragment(offset=0, m=1, id=rng.getrandbits(32))


def l3_bytes(rng, s):
    """The IP packet, and its kind of fragment (None, "first", "later")."""
    frag = s["frag"]
    if frag == "random":
        frag = None
        x = rng.random()
        if x < .12:
            frag = rng.choice(("middle", "last"))
        elif x < .18:
            frag = "first"
    df = 2 if s["df"] else 0
    if s["fam"] == 4:
        opts = []
        if rng.random() < .2:
            opts = [IPOption_NOP()] * rng.randint(1, 40)
        ip = IP(src=str(s["src"]), dst=str(s["dst"]), options=opts,
                ttl=rng.randint(1, 255), id=rng.getrandbits(16), tos=s["tos"],
                flags=df)
        if frag in ("middle", "last"):
            ip.frag = rng.randint(1, 8191)
            ip.flags = df | (1 if frag == "middle" else 0)
            ip.proto = s["proto"]
            body = Raw(bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))))
            return bytes(pad_to(ip / body, s["len"])), frag
        if frag == "first":
            ip.flags = df | 1
        l4 = l4_layer(rng, s)
        if isinstance(l4, Raw) or s["proto"] not in (ref.TCP, ref.UDP, ref.ICMP):
            ip.proto = s["proto"]
        return bytes(pad_to(ip / l4, s["len"])), frag
    ip = IPv6(src=str(s["src"]), dst=str(s["dst"]), hlim=rng.randint(0, 255),
              tc=s["tos"])
    n = 0
    x = rng.random()
    if x < .3:
        n = rng.randint(1, 3)
    elif x < .36:
        n = rng.randint(7, 10)
    kinds = [rng.choice((0, 43, 60, 60, 44)) for _ in range(n)]
    for k in kinds:
        ip = ip / ext_header(rng, k)
    if frag in ("middle", "last"):
        f = IPv6ExtHdrFragment(offset=rng.randint(1, 8191), m=int(frag == "middle"),
                               id=rng.getrandbits(32), nh=s["proto"])
        body = Raw(bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))))
        return bytes(pad_to(ip / f / body, s["len"])), frag
    if frag == "first":
        ip = ip / IPv6ExtHdrFragment(offset=0, m=1, id=rng.getrandbits(32))
    l4 = l4_layer(rng, s)
    if isinstance(l4, Raw) or s["proto"] not in (ref.TCP, ref.UDP, ref.ICMPV6):
        # The last header's next header names the protocol.
        last = ip
        while last.payload:
            last = last.payload
        last.nh = s["proto"]
    return bytes(pad_to(ip / l4, s["len"])), frag


def l2_wrap(rng, s, l3, ethertype):
    eth = bytes(rng.getrandbits(8) & 0xFE if i == 0 else rng.getrandbits(8) for i in range(12))
    tags = b"".join(struct.pack("!HH", t, tci) for t, tci in s["tags"])
    return eth + tags + struct.pack("!H", ethertype), len(eth) + len(tags) + 2


def mutate(rng, frame, l2len, fam):
    """Break the frame one way; returns the new frame."""
    b = bytearray(frame)
    l3 = l2len
    kind = rng.choice(("cut", "cut", "shrink", "shrink", "pad", "version", "ihl",
                       "totlong", "totshort", "doff", "vlan3", "notip", "laterfrag",
                       "exthdrlen"))
    if kind == "cut":
        return bytes(b[:rng.randint(0, len(b) - 1)])
    if kind == "pad":
        return bytes(b) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 30)))
    if kind == "vlan3":
        tags = b"".join(struct.pack("!HH", rng.choice(ref.TPIDS), rng.randrange(65536))
                        for _ in range(rng.randint(1, 3)))
        return bytes(b[:12]) + tags + bytes(b[12:])
    if kind == "notip":
        et = rng.choice((0x0806, 0x88CC, 0x8847, 0x9100, rng.randrange(1536, 65536)))
        struct.pack_into("!H", b, l3 - 2, et)
        return bytes(b)
    if len(b) < l3 + (20 if fam == 4 else 40):
        return bytes(b)
    if kind == "version":
        b[l3] = (rng.choice([v for v in range(16) if v != fam]) << 4) | (b[l3] & 15)
        return bytes(b)
    if fam == 4:
        ihl = (b[l3] & 15) * 4
        tot = struct.unpack_from("!H", b, l3 + 2)[0]
        if kind == "shrink":
            n = rng.randint(0, tot)
            struct.pack_into("!H", b, l3 + 2, n)
            return bytes(b[:l3 + max(n, 20)])
        if kind == "ihl":
            b[l3] = 0x40 | rng.choice((0, 1, 4, 6, 15))
        elif kind == "totlong":
            struct.pack_into("!H", b, l3 + 2, tot + rng.randint(1, 100))
        elif kind == "totshort":
            struct.pack_into("!H", b, l3 + 2, rng.randint(0, ihl))
        elif kind == "laterfrag":
            struct.pack_into("!H", b, l3 + 6, rng.randint(1, 0x3FFF))
        elif kind == "doff" and b[l3 + 9] == ref.TCP and len(b) >= l3 + ihl + 13:
            b[l3 + ihl + 12] = rng.randrange(16) << 4
        return bytes(b)
    plen = struct.unpack_from("!H", b, l3 + 4)[0]
    if kind == "shrink":
        n = rng.randint(0, plen)
        struct.pack_into("!H", b, l3 + 4, n)
        return bytes(b[:l3 + 40 + n])
    if kind in ("totlong", "ihl"):
        struct.pack_into("!H", b, l3 + 4, plen + rng.randint(1, 100))
    elif kind == "totshort":
        struct.pack_into("!H", b, l3 + 4, rng.randint(0, plen))
    elif kind == "exthdrlen" and b[l3 + 6] in (0, 43, 60) and len(b) > l3 + 41:
        b[l3 + 41] = rng.randrange(256)
    elif kind in ("doff", "laterfrag"):
        # Any byte of the upper headers, at random.
        if len(b) > l3 + 40:
            b[rng.randrange(l3 + 40, len(b))] = rng.randrange(256)
    return bytes(b)


def gen_packets(rng, rs, n, wellformed):
    frames = []
    rules = rs.rules
    tail = rules[len(rules) * 9 // 10:]
    for _ in range(n):
        x = rng.random()
        r = None
        if x < .25 and tail:
            r = rng.choice(tail)
        elif x < .8 and rules:
            r = rng.choice(rules)
        s = packet_spec(rng, rs, r)
        l3, _ = l3_bytes(rng, s)
        frame, l2len = l2_wrap(rng, s, l3, 0x0800 if s["fam"] == 4 else 0x86DD)
        frame += l3
        if not wellformed and rng.random() < .4:
            frame = mutate(rng, frame, l2len, s["fam"])
        elif rng.random() < .03:
            # ARP and other non-IP frames, well formed.
            frame = frame[:l2len - 2] + struct.pack("!H", 0x0806) + bytes(28)
        frames.append(frame)
    return frames


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off < len(data):
        _, _, cap, _ = struct.unpack_from("<IIII", data, off)
        frames.append(data[off + 16:off + 16 + cap])
        off += 16 + cap
    return frames


# --- the command line ---------------------------------------------------

def load_ruleset(d):
    """The rule set back from D/sluice.conf (what the data plane saw)."""
    rules, sets, pol = [], {}, {}
    names = {"tcp": ref.TCP, "udp": ref.UDP, "icmp": ref.ICMP, "icmpv6": ref.ICMPV6}
    for line in open(os.path.join(d, "sluice.conf")):
        w = line.split()
        if not w:
            continue
        if w[0] == "policy":
            pol[w[1]] = w[2]
        elif w[0] == "set":
            sets[w[2]] = [ipaddress.ip_network(x) for x in w[3:]]
        elif w[0] == "rule":
            r = ref.Rule(int(w[2]), w[-1])
            i = 3
            while i < len(w) - 1:
                k, v = w[i], w[i + 1]
                i += 2
                if k == "in":
                    r.iface = v
                elif k in ("src", "dst"):
                    setattr(r, k, v if v[0] == "@" else ipaddress.ip_network(v))
                elif k == "proto":
                    r.proto = names.get(v) or int(v)
                elif k in ("sport", "dport"):
                    lo, _, hi = v.partition("-")
                    setattr(r, k, (int(lo), int(hi or lo)))
                elif k == "tcp-flags":
                    mask = val = 0
                    for f in v.split(","):
                        bit = 1 << ref.TCP_FLAGS.index(f.lstrip("!"))
                        mask |= bit
                        if f[0] != "!":
                            val |= bit
                    r.tcp_flags = (mask, val)
                elif k == "icmp-type":
                    r.icmp_type = int(v)
                elif k == "icmp-code":
                    r.icmp_code = int(v)
                elif k == "vlan":
                    r.vlan = int(v)
                elif k == "dscp":
                    r.dscp = int(v)
                elif k == "length":
                    lo, _, hi = v.partition("-")
                    r.length = (int(lo), int(hi or lo))
                elif k == "fragment":
                    mask = val = 0
                    for f in v.split(","):
                        bit = 1 << ref.FRAG_FLAGS.index(f.lstrip("!"))
                        mask |= bit
                        if f[0] != "!":
                            val |= bit
                    r.frag = (mask, val)
            rules.append(r)
    return ref.Ruleset(rules, sets, pol)


def cmd_gen(a):
    rng = random.Random(a.seed)
    rs = gen_ruleset(rng, a.rules, a.mode)
    wellformed = a.packet_mode == "wellformed" or (a.packet_mode == "auto" and a.mode == "few")
    frames = gen_packets(rng, rs, a.packets, wellformed)
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "sluice.conf"), "w") as f:
        f.write(rs.config())
    write_pcap(os.path.join(a.dir, "packets.pcap"), frames)
    iface = a.iface or IFACES[0]
    exp = [rs.decide(fr, iface) for fr in frames]
    with open(os.path.join(a.dir, "expected.json"), "w") as f:
        json.dump({"iface": iface, "expected": exp}, f)
    return 0


def cmd_big(a):
    """65,535 rules of random shapes, priorities 1..65535, none of which
    matches the lab's probe (UDP PROBE_SRC:* -> PROBE_DST:DPORT, and ARP)
    but rule KEY_PRIO, "src PROBE_SRC proto udp dport DPORT" with action
    pass (variant a) or drop (variant b).  Variant b also draws every
    sixteenth rule afresh.  Writes sluice.conf (attaching IFACE),
    packets.pcap and expected.json as "gen" does."""
    rng = random.Random(a.seed)
    other = random.Random(a.seed + 1)
    ifaces = (a.iface, "dfb0", "dfc0")
    pools = Pools(rng)
    if a.mode == "few":
        sets = gen_sets(rng, pools, 2, lambda fam: 24 if fam == 4 else 64)
        mk = few_rule
    else:
        sets = gen_sets(rng, pools, 4, lambda fam: set_plen(rng, fam))
        mk = gen_full_rule
    probe = (bytes(12) + struct.pack("!H", 0x0800) +
             bytes(IP(src=a.probe_src, dst=a.probe_dst) / UDP(sport=1, dport=a.probe_dport)))
    arp = bytes(12) + struct.pack("!H", 0x0806) + bytes(28)
    pp, pa = ref.parse(probe), ref.parse(arp)

    def harmless(r):
        # Any source port: socat picks its own; and any length, DSCP or
        # fragment bits (the kernel sets DF), which the probe here lacks.
        loose = ("sport", "length", "dscp", "frag")
        kept = [getattr(r, k) for k in loose]
        for k in loose:
            setattr(r, k, None)
        hit = ref.matches(r, pp, a.iface, sets) or ref.matches(r, pa, a.iface, sets)
        for k, v in zip(loose, kept):
            setattr(r, k, v)
        return not hit
    rules = []
    for prio in range(1, 65536):
        g = other if a.variant == "b" and prio % 16 == 0 else rng
        if prio == a.key_prio:
            r = ref.Rule(prio, "pass" if a.variant == "a" else "drop",
                         src=ipaddress.ip_network(a.probe_src), proto=ref.UDP,
                         dport=(a.probe_dport, a.probe_dport))
        else:
            r = mk(g, pools, prio, sets, ifaces)
            while not harmless(r):
                r = mk(g, pools, prio, sets, ifaces)
        rules.append(r)
    rs = ref.Ruleset(rules, sets, {a.iface: "pass"})
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "sluice.conf"), "w") as f:
        f.write("attach %s\n" % a.iface + rs.config())
    prng = random.Random(a.seed + 2)
    frames = [probe] + gen_packets(prng, rs, a.packets, False)
    write_pcap(os.path.join(a.dir, "packets.pcap"), frames)
    exp = [rs.decide(fr, a.iface) for fr in frames]
    with open(os.path.join(a.dir, "expected.json"), "w") as f:
        json.dump({"iface": a.iface, "expected": exp}, f)
    return 0


def cmd_expect(a):
    """Expected verdicts of an existing D/sluice.conf over D/packets.pcap."""
    rs = load_ruleset(a.dir)
    frames = read_pcap(os.path.join(a.dir, "packets.pcap"))
    exp = [rs.decide(fr, a.iface) for fr in frames]
    with open(os.path.join(a.dir, "expected.json"), "w") as f:
        json.dump({"iface": a.iface, "expected": exp}, f)
    return 0


def cmd_compare(a):
    with open(os.path.join(a.dir, "expected.json")) as f:
        exp = json.load(f)["expected"]
    try:
        with open(a.got) as f:
            got = json.load(f)
    except (OSError, ValueError) as e:
        print("test-run output is not a JSON array: %s" % e)
        return 1
    frames = read_pcap(os.path.join(a.dir, "packets.pcap"))
    rs = load_ruleset(a.dir)
    byprio = {r.prio: r for r in rs.rules}
    bad = []
    if len(got) != len(exp):
        print("test-run gave %d lines for %d packets" % (len(got), len(exp)))
    stats = {}
    for i, e in enumerate(exp):
        g = got[i] if i < len(got) else None
        gv = (g["verdict"], g["rule"], g["reason"]) if g else None
        ev = tuple(e)
        if gv == ev:
            stats[ev[2]] = stats.get(ev[2], 0) + 1
        elif gv and gv[0] == "error" and ref.harness_refuses(frames[i], a.hook):
            # Refused by the kernel's harness, and a line says so.
            stats["harness"] = stats.get("harness", 0) + 1
        else:
            bad.append((i, ev, gv))
    for i, ev, gv in bad[:a.show]:
        print("packet %d (%s): expected %s, got %s" % (i + 1, a.hook, ev, gv))
        print("  frame %s" % frames[i].hex())
        if len(frames[i]) >= ref.ETH_HLEN:
            print("  reference parse: %r" % ref.parse(frames[i]))
        for tag, v in (("expected", ev), ("got", gv)):
            if v and v[1] in byprio:
                print("  %s rule: %s" % (tag, byprio[v[1]].text()))
    nrule = stats.get("rule", 0)
    hit = {e[1] for e in exp if e[1] is not None}
    tail = sorted(byprio)[len(byprio) * 9 // 10:]
    low = sum(1 for e in exp if e[1] in set(tail))
    print("%d/%d packets agree on %s; decided by a rule %d (%d distinct rules, "
          "%d in the lowest-priority tenth); by reason %s" % (
              len(exp) - len(bad), len(exp), a.hook, nrule, len(hit), low,
              json.dumps(dict(sorted(stats.items())))))
    if bad:
        return 1
    if len(got) != len(exp):
        return 1
    # The run must have exercised what it is meant to.
    for want, v in a.require:
        if stats.get(want, 0) < v:
            print("too few packets with reason %s: %d < %d" % (want, stats.get(want, 0), v))
            return 1
    if a.min_low and low < a.min_low:
        print("too few packets decided by the lowest-priority tenth: %d < %d" % (low, a.min_low))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--dir", required=True)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--rules", type=int, default=300)
    g.add_argument("--packets", type=int, default=2000)
    g.add_argument("--mode", choices=("full", "few", "mix"), default="full")
    g.add_argument("--iface")
    g.add_argument("--packet-mode", choices=("auto", "wellformed", "broken"), default="auto",
                   help="auto: well formed for --mode few, broken often otherwise")
    b = sub.add_parser("big")
    b.add_argument("--dir", required=True)
    b.add_argument("--seed", type=int, required=True)
    b.add_argument("--iface", required=True)
    b.add_argument("--variant", choices=("a", "b"), required=True)
    b.add_argument("--probe-src", required=True)
    b.add_argument("--probe-dst", required=True)
    b.add_argument("--probe-dport", type=int, required=True)
    b.add_argument("--key-prio", type=int, required=True)
    b.add_argument("--packets", type=int, default=200)
    b.add_argument("--mode", choices=("full", "few"), default="full")
    e = sub.add_parser("expect")
    e.add_argument("--dir", required=True)
    e.add_argument("--iface", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--dir", required=True)
    c.add_argument("--hook", required=True)
    c.add_argument("--show", type=int, default=10)
    c.add_argument("--min-low", type=int, default=0)
    c.add_argument("--require", nargs=2, action="append", default=[],
                   metavar=("REASON", "N"), type=str)
    c.add_argument("got")
    a = ap.parse_args()
    if a.cmd == "compare":
        a.require = [(k, int(v)) for k, v in a.require]
    return {"gen": cmd_gen, "big": cmd_big, "expect": cmd_expect, "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
