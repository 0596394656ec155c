# SPDX-License-Identifier: GPL-2.0-only
"""A reference matcher for sluice, written from the README's "Matching"
section, the test-run section and sluice(8)'s MATCHING, not from the BPF
code: it parses a frame byte by byte and decides it against a rule list,
so that selftests/integration/differential.sh can compare the data plane
with it packet by packet.

Where the documents leave a detail open, the choice made here is named in
a comment marked "Open:"; a disagreement there is a question about the
documents, not necessarily a bug.
"""

import ipaddress
import struct

ETH_HLEN = 14
TPIDS = (0x8100, 0x88A8)  # 802.1Q and 802.1ad: "vlan N" reads either
MAX_VLAN_TAGS = 2
MAX_EXTHDRS = 8
# Open: which IPv6 headers are "extension headers". sluice(8) names the
# walk "IPv6 with up to eight extension headers"; we take hop-by-hop,
# routing, fragment and destination options (RFC 8200's chain before the
# upper layer); AH, ESP and the rest count as the transport protocol.
EXT_OPTS = (0, 43, 60)
EXT_FRAG = 44
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
# Open: an ICMP header is 8 bytes (RFC 792/4443): fewer is "cut short".
ICMP_HLEN = 8
TCP_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr")
# "fragment" flags, as the README names them, with RFC 8955's bit values.
FRAG_FLAGS = ("dont-fragment", "is-fragment", "first", "last")
DF, IS_FRAG, FIRST_FRAG, LAST_FRAG = 1, 2, 4, 8
# "length" counts up to an IPv6 packet's largest: 65,535 + its header.
IP_LEN_MAX = 65535 + 40

# Reasons of a packet the parser cannot trust: they skip the policy.
UNTRUSTED = ("malformed", "not-ip", "parse-limit")


class Parsed:
    """What a frame offers to the rules."""

    def __init__(self):
        self.vlan = None  # outermost VLAN id, or None when untagged
        self.ip = False  # the IP header (and extension headers) hold
        self.family = None  # 4 or 6
        self.src = self.dst = None  # ipaddress objects
        self.proto = None
        self.ports = None  # (sport, dport) of TCP or UDP
        self.tcp_flags = None
        self.icmp_type = None
        self.icmp_code = None
        self.dscp = None
        self.length = None  # RFC 8955's packet length
        self.frag = None  # FRAG_FLAGS bits
        self.reason = "policy"  # what the packet gets when no rule decides

    def __repr__(self):
        return "Parsed(%s)" % ", ".join(
            "%s=%s" % (k, v) for k, v in sorted(vars(self).items()) if v is not None)


def _untrusted(p, reason):
    """Keep only what Ethernet tells (the VLAN), give the reason."""
    keep = p.vlan
    p.__init__()
    p.vlan = keep
    p.reason = reason
    return p


def _transport(p, b, left):
    """The transport header: b starts there, left bytes are the IP's."""
    if p.proto == TCP:
        if left < 20:
            p.reason = "truncated"
            return p
        doff = b[12] >> 4
        # A data offset shorter than the fixed header, or past the
        # datagram, leaves the header cut short.
        if doff < 5 or doff * 4 > left:
            p.reason = "truncated"
            return p
        p.ports = struct.unpack_from("!HH", b, 0)
        p.tcp_flags = b[13]
    elif p.proto == UDP:
        if left < 8:
            p.reason = "truncated"
            return p
        p.ports = struct.unpack_from("!HH", b, 0)
    elif (p.proto == ICMP and p.family == 4) or (p.proto == ICMPV6 and p.family == 6):
        # Open: ICMP inside IPv6 (or ICMPv6 inside IPv4) is taken as an
        # unknown protocol: no ICMP type, not "cut short".
        if left < ICMP_HLEN:
            p.reason = "truncated"
            return p
        p.icmp_type = b[0]
        p.icmp_code = b[1]
    return p


def _frag_bits(offset, more):
    """RFC 8955's fragment bits of a fragment offset and its M flag."""
    if offset:
        return IS_FRAG | (0 if more else LAST_FRAG)
    return FIRST_FRAG if more else 0


def _ipv4(p, b):
    if len(b) < 20 or b[0] >> 4 != 4:
        return _untrusted(p, "malformed")
    ihl = (b[0] & 15) * 4
    tot = struct.unpack_from("!H", b, 2)[0]
    # A header shorter than 20 bytes, a total length shorter than the
    # header or longer than the frame: a broken IPv4 header.
    if ihl < 20 or tot < ihl or tot > len(b):
        return _untrusted(p, "malformed")
    p.ip = True
    p.family = 4
    p.proto = b[9]
    p.src = ipaddress.IPv4Address(b[12:16])
    p.dst = ipaddress.IPv4Address(b[16:20])
    p.dscp = b[1] >> 2
    p.length = tot
    flags_off = struct.unpack_from("!H", b, 6)[0]
    p.frag = _frag_bits(flags_off & 0x1FFF, flags_off & 0x2000) | \
        (DF if flags_off & 0x4000 else 0)
    if flags_off & 0x1FFF:
        p.reason = "fragment"  # a later fragment: no transport header
        return p
    return _transport(p, b[ihl:tot], tot - ihl)


def _ipv6(p, b):
    if len(b) < 40 or b[0] >> 4 != 6:
        return _untrusted(p, "malformed")
    plen = struct.unpack_from("!H", b, 4)[0]
    if plen > len(b) - 40:
        return _untrusted(p, "malformed")
    p.family = 6
    p.src = ipaddress.IPv6Address(b[8:24])
    p.dst = ipaddress.IPv6Address(b[24:40])
    # The traffic class is the 8 bits after the version; DSCP its top 6.
    p.dscp = (((b[0] & 15) << 4) | b[1] >> 4) >> 2
    # "payload length + 40": extension headers count, as in the header.
    p.length = plen + 40
    # IPv6 has no DF; a packet without a fragment header has no bit.
    # Open: with several fragment headers, the last one walked counts.
    p.frag = 0
    nh = b[6]
    pay = b[40:40 + plen]
    n = 0
    while nh in EXT_OPTS or nh == EXT_FRAG:
        if n == MAX_EXTHDRS:
            return _untrusted(p, "parse-limit")
        n += 1
        if len(pay) < 8:
            return _untrusted(p, "malformed")
        if nh == EXT_FRAG:
            hlen = 8
            fo = struct.unpack_from("!H", pay, 2)[0]
            later = fo >> 3
            p.frag = _frag_bits(later, fo & 1)
        else:
            hlen = (pay[1] + 1) * 8
            later = 0
            if hlen > len(pay):
                return _untrusted(p, "malformed")
        nh = pay[0]
        pay = pay[hlen:]
        if later:
            p.ip = True
            p.proto = nh
            p.reason = "fragment"
            return p
    p.ip = True
    p.proto = nh
    return _transport(p, pay, len(pay))


def parse(frame):
    """Parse one frame (at least ETH_HLEN bytes) into a Parsed."""
    p = Parsed()
    et = struct.unpack_from("!H", frame, 12)[0]
    off = ETH_HLEN
    tags = 0
    while et in TPIDS:
        if tags == MAX_VLAN_TAGS:
            return _untrusted(p, "parse-limit")
        if len(frame) < off + 4:
            return _untrusted(p, "malformed")
        tci, et = struct.unpack_from("!HH", frame, off)
        if tags == 0:
            p.vlan = tci & 0x0FFF
        tags += 1
        off += 4
    if et == 0x0800:
        return _ipv4(p, frame[off:])
    if et == 0x86DD:
        return _ipv6(p, frame[off:])
    return _untrusted(p, "not-ip")


def harness_refuses(frame, hook):
    """May bpf_prog_test_run refuse the frame (test-run then prints
    "verdict error")?  Frames shorter than Ethernet, on either hook; on
    tc, the kernel's skb harness also refuses an untagged IPv4 frame with
    fewer than 20 bytes past Ethernet, or IPv6 with fewer than 40 (found
    by trying: it wants the IP header it sets the test socket up from).
    Every such frame is "malformed" to the data plane."""
    if len(frame) < ETH_HLEN:
        return True
    if hook != "tc":
        return False
    et = struct.unpack_from("!H", frame, 12)[0]
    return (et == 0x0800 and len(frame) - ETH_HLEN < 20) or \
        (et == 0x86DD and len(frame) - ETH_HLEN < 40)


class Rule:
    """One "rule add": fields absent are None."""

    def __init__(self, prio, action="drop", **kw):
        self.prio = prio
        self.action = action
        self.iface = kw.get("iface")
        self.src = kw.get("src")  # ip_network or "@NAME"
        self.dst = kw.get("dst")
        self.proto = kw.get("proto")  # int
        self.sport = kw.get("sport")  # (lo, hi)
        self.dport = kw.get("dport")
        self.tcp_flags = kw.get("tcp_flags")  # (mask, value)
        self.icmp_type = kw.get("icmp_type")
        self.icmp_code = kw.get("icmp_code")
        self.vlan = kw.get("vlan")
        self.dscp = kw.get("dscp")
        self.length = kw.get("length")  # (lo, hi)
        self.frag = kw.get("frag")  # (mask, value) over FRAG_FLAGS bits

    def l2_only(self):
        """Needs nothing past Ethernet: may decide an untrusted packet."""
        return all(x is None for x in (self.src, self.dst, self.proto, self.sport,
                                       self.dport, self.tcp_flags, self.icmp_type,
                                       self.icmp_code, self.dscp, self.length,
                                       self.frag))

    def text(self):
        w = ["rule", "add", str(self.prio)]
        if self.iface is not None:
            w += ["in", self.iface]
        for k in ("src", "dst"):
            v = getattr(self, k)
            if v is not None:
                w += [k, v if isinstance(v, str) else str(v)]
        if self.proto is not None:
            w += ["proto", {TCP: "tcp", UDP: "udp", ICMP: "icmp",
                            ICMPV6: "icmpv6"}.get(self.proto, str(self.proto))]
        for k in ("sport", "dport"):
            v = getattr(self, k)
            if v is not None:
                w += [k, str(v[0]) if v[0] == v[1] else "%d-%d" % v]
        if self.tcp_flags is not None:
            mask, val = self.tcp_flags
            w += ["tcp-flags", ",".join(("" if val >> i & 1 else "!") + TCP_FLAGS[i]
                                        for i in range(8) if mask >> i & 1)]
        if self.icmp_type is not None:
            w += ["icmp-type", str(self.icmp_type)]
        if self.icmp_code is not None:
            w += ["icmp-code", str(self.icmp_code)]
        if self.vlan is not None:
            w += ["vlan", str(self.vlan)]
        if self.dscp is not None:
            w += ["dscp", str(self.dscp)]
        if self.length is not None:
            w += ["length", str(self.length[0]) if self.length[0] == self.length[1]
                  else "%d-%d" % self.length]
        if self.frag is not None:
            mask, val = self.frag
            w += ["fragment", ",".join(("" if val >> i & 1 else "!") + FRAG_FLAGS[i]
                                       for i in range(4) if mask >> i & 1)]
        w.append(self.action)
        return " ".join(w)


def _addr_in(addr, m, sets):
    if isinstance(m, str):
        # A set holds both families: the packet meets its own family's.
        return any(addr in n for n in sets[m[1:]] if n.version == addr.version)
    return m.version == addr.version and addr in m


def matches(r, p, iface, sets):
    if r.iface is not None and r.iface != iface:
        return False
    if r.vlan is not None and p.vlan != r.vlan:
        return False
    if r.l2_only():
        return True
    if not p.ip:
        return False
    if r.src is not None and not _addr_in(p.src, r.src, sets):
        return False
    if r.dst is not None and not _addr_in(p.dst, r.dst, sets):
        return False
    if r.proto is not None and p.proto != r.proto:
        return False
    # Port, flag and ICMP-type matches need their header.
    for want, i in ((r.sport, 0), (r.dport, 1)):
        if want is not None:
            if p.ports is None or not want[0] <= p.ports[i] <= want[1]:
                return False
    if r.tcp_flags is not None:
        if p.tcp_flags is None or p.tcp_flags & r.tcp_flags[0] != r.tcp_flags[1]:
            return False
    if r.icmp_type is not None and p.icmp_type != r.icmp_type:
        return False
    if r.icmp_code is not None and p.icmp_code != r.icmp_code:
        return False
    # DSCP, length and fragment bits: every IP packet has them.
    if r.dscp is not None and p.dscp != r.dscp:
        return False
    if r.length is not None and not r.length[0] <= p.length <= r.length[1]:
        return False
    if r.frag is not None and p.frag & r.frag[0] != r.frag[1]:
        return False
    return True


class Ruleset:
    def __init__(self, rules, sets, policies):
        self.rules = sorted(rules, key=lambda r: r.prio)
        self.sets = sets  # name -> [ip_network]
        self.policies = policies  # iface -> "pass" | "drop"

    def decide(self, frame, iface):
        """(verdict, rule prio or None, reason) as test-run -j prints them."""
        if len(frame) < ETH_HLEN:
            return ("error", None, "shorter than Ethernet")
        p = parse(frame)
        for r in self.rules:
            if matches(r, p, iface, self.sets):
                return (r.action, r.prio, "rule")
        if p.reason in UNTRUSTED:
            return ("pass", None, p.reason)
        return (self.policies.get(iface, "pass"), None, p.reason)

    def config(self):
        out = []
        for ifc, pol in sorted(self.policies.items()):
            out.append("policy %s %s" % (ifc, pol))
        for name, nets in sorted(self.sets.items()):
            out.append(" ".join(["set", "add", name] + [str(n) for n in nets]))
        out += [r.text() for r in self.rules]
        return "\n".join(out) + "\n"
