#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The everyday rule mix of issue 8, for make bench and the tests.

  mix.py gen --out DIR [--rules N] [--set M] [--set6 M] [--seed S] ...
      DIR/mix.conf   the configuration: N rules, priorities 100 upward,
                     cycling the twelve shapes below, then
                     "rule add 60000 src @blk drop"
      DIR/blk.txt    set blk: M random IPv4 prefixes /24-/32
      DIR/blk6.txt   with --set6: M random IPv6 prefixes /32-/128, also
                     loaded into blk (a set holds both families)
      DIR/mix-K.conf with --subset K: the first K rules, the same set
      DIR/flood.env  shell assignments: the flood's destination, ports and
                     ingress interface, chosen so that no rule but the set
                     rule can match, a checked source in blk (HIT_SRC,
                     HIT_SRC6) and one that matches nothing (MISS_SRC,
                     MISS_SRC6), and FREE_DPORT, a UDP port no rule names
  mix.py sources DIR --count K [--family 4|6] [--seed S]
      K flood sources, one address from each of K distinct prefixes of
      the set, shuffled, each checked to match the set rule and no other
  mix.py check DIR FILE [--family 4|6]
      the same check for a list of addresses someone else made

The twelve shapes, as issue 8 lists them (P: a random IPv4 prefix of
uniformly random length /8-/32; N, M: random ports):
  src P proto udp dport N drop
  src P dst P proto udp sport N-M drop          (M up to N+100)
  dst P proto tcp dport N drop
  proto tcp tcp-flags syn,!ack dport N drop
  src P proto icmp icmp-type 8 drop
  proto udp dport N-M drop                      (M up to N+200)
  in OTHER_IFACE proto udp dport N drop
  src 2001:db8:X:Y::/64 proto udp dport N drop
  dst P pass
  proto udp sport N dport M drop
  vlan N proto udp drop
  src P dst P drop

Deterministic by seed: the rules, the IPv4 set and the IPv6 set come from
separate streams, so a 10-rule mix is the first 10 rules of the 10,000-rule
mix of the same seed and both hold the same set.  --avoid keeps rule and
set prefixes clear of an address range a benchmark routes by itself.
--lengths and --exact-ports narrow the mix for a classifier that cannot
take all of it; the default is the real mix.

Needs only the standard library (no scapy).
"""

import argparse
import bisect
import ipaddress
import os
import random
import socket
import sys

SET_PRIO = 60000
FIRST_PRIO = 100
SET_NAME = "blk"
PROTO = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58}


def die(msg):
    print("mix: " + msg, file=sys.stderr)
    sys.exit(1)


# socket's converters: ipaddress is ten times slower over a million.
def ip4(a):
    return socket.inet_ntop(socket.AF_INET, a.to_bytes(4, "big"))


def ip6(a):
    return socket.inet_ntop(socket.AF_INET6, a.to_bytes(16, "big"))


class Gen:
    """Random fields of the rules, from one stream."""

    def __init__(self, rng, lengths, exact, avoid):
        self.rng = rng
        self.lengths = lengths
        self.exact = exact
        self.avoid = avoid

    def prefix(self):
        while True:
            plen = self.rng.choice(self.lengths)
            a = self.rng.getrandbits(32)
            net = ipaddress.IPv4Network((a >> (32 - plen) << (32 - plen), plen))
            if not any(net.overlaps(x) for x in self.avoid):
                return str(net)

    def port(self):
        return self.rng.randint(1, 65535)

    def prange(self, width):
        n = self.port()
        m = n if self.exact else min(65535, n + self.rng.randint(0, width))
        return str(n) if m == n else "%d-%d" % (n, m)


def rule_body(g, shape, iface):
    P = g.prefix
    if shape == 0:
        return "src %s proto udp dport %d drop" % (P(), g.port())
    if shape == 1:
        return "src %s dst %s proto udp sport %s drop" % (P(), P(), g.prange(100))
    if shape == 2:
        return "dst %s proto tcp dport %d drop" % (P(), g.port())
    if shape == 3:
        return "proto tcp tcp-flags syn,!ack dport %d drop" % g.port()
    if shape == 4:
        return "src %s proto icmp icmp-type 8 drop" % P()
    if shape == 5:
        return "proto udp dport %s drop" % g.prange(200)
    if shape == 6:
        return "in %s proto udp dport %d drop" % (iface, g.port())
    if shape == 7:
        return "src 2001:db8:%x:%x::/64 proto udp dport %d drop" % (
            g.rng.getrandbits(16), g.rng.getrandbits(16), g.port())
    if shape == 8:
        return "dst %s pass" % P()
    if shape == 9:
        return "proto udp sport %d dport %d drop" % (g.port(), g.port())
    if shape == 10:
        return "vlan %d proto udp drop" % g.rng.randint(1, 4094)
    return "src %s dst %s drop" % (P(), P())


def random_set(rng, count, bits, lo, hi, avoid):
    """count distinct random prefixes of length lo..hi, in random order."""
    seen = set()
    out = []
    span = hi - lo + 1
    while len(out) < count:
        plen = lo + int(rng.random() * span)
        a = rng.getrandbits(bits) >> (bits - plen) << (bits - plen)
        if (a, plen) in seen:
            continue
        if avoid:
            net = ipaddress.ip_network((a, plen))
            if any(net.overlaps(x) for x in avoid):
                continue
        seen.add((a, plen))
        out.append((a, plen))
    return out


def write_set(path, prefixes, fmt):
    with open(path, "w") as f:
        f.write("".join("%s/%d\n" % (fmt(a), plen) for a, plen in prefixes))


# ---------------------------------------------------------------------------
# A matcher for the configurations this file writes (and any other made of
# the same words): it tells which rules a UDP flood packet can match.  It
# follows the README's matching rules for an untagged UDP packet with
# whole headers, which is all a flood here is.


class Prefixes:
    """Prefixes of one family as merged sorted intervals: fast membership."""

    def __init__(self, nets):
        iv = sorted((a, a + (1 << (bits - plen)) - 1) for a, plen, bits in nets)
        self.lo, self.hi = [], []
        for lo, hi in iv:
            if self.hi and lo <= self.hi[-1] + 1:
                self.hi[-1] = max(self.hi[-1], hi)
            else:
                self.lo.append(lo)
                self.hi.append(hi)

    def __contains__(self, a):
        i = bisect.bisect_right(self.lo, a) - 1
        return i >= 0 and a <= self.hi[i]


def parse_prefix(s):
    """(family, address with host bits cleared, length)."""
    s = s.strip()
    addr, _, plen = s.partition("/")
    fam = 6 if ":" in addr else 4
    bits = 32 if fam == 4 else 128
    try:
        a = int.from_bytes(socket.inet_pton(
            socket.AF_INET if fam == 4 else socket.AF_INET6, addr), "big")
        n = int(plen) if plen else bits
    except (OSError, ValueError):
        die("bad prefix %r" % s)
    if not 0 <= n <= bits:
        die("bad prefix %r" % s)
    return fam, a >> (bits - n) << (bits - n), n


def parse_range(s):
    lo, _, hi = s.partition("-")
    return int(lo), int(hi or lo)


class Config:
    def __init__(self, path, sets=None):
        """sets: the sets' content when the caller has it already."""
        self.rules = []  # (prio, {field: value}, text)
        self.sets = sets or {}  # name -> list of (family, addr, len)
        base = os.path.dirname(path)
        with open(path) as f:
            for line in f:
                w = line.split("#", 1)[0].split()
                if not w:
                    continue
                if w[:2] == ["set", "load"] and sets is None:
                    p = w[3] if os.path.isabs(w[3]) else os.path.join(base, w[3])
                    with open(p) as sf:
                        self.sets.setdefault(w[2], []).extend(
                            parse_prefix(x.split("#", 1)[0])
                            for x in sf if x.split("#", 1)[0].strip())
                elif w[:2] == ["set", "add"]:
                    self.sets.setdefault(w[2], []).extend(
                        parse_prefix(x) for x in w[3:])
                elif w[:2] == ["rule", "add"]:
                    self.rules.append((int(w[2]), self.parse_rule(w[3:]),
                                       " ".join(w)))
        self.rules.sort(key=lambda r: r[0])
        self.members = {}

    @staticmethod
    def parse_rule(w):
        m = {}
        i = 0
        while i < len(w):
            k = w[i]
            if k in ("in", "src", "dst", "proto", "sport", "dport",
                     "tcp-flags", "icmp-type", "vlan"):
                m[k] = w[i + 1]
                i += 2
            else:
                break  # the action
        return m

    def set_has(self, name, family, a):
        key = (name, family)
        if key not in self.members:
            bits = 32 if family == 4 else 128
            self.members[key] = Prefixes(
                (x, plen, bits) for f, x, plen in self.sets.get(name, ())
                if f == family)
        return a in self.members[key]

    def addr_ok(self, spec, family, a):
        """Does address a (of family) match the src or dst spec?"""
        if spec.startswith("@"):
            return self.set_has(spec[1:], family, a)
        f, net, plen = parse_prefix(spec)
        bits = 32 if f == 4 else 128
        return f == family and a >> (bits - plen) == net >> (bits - plen)

    def rest_ok(self, m, pkt):
        """Everything of rule m but its source, for a UDP packet."""
        if "tcp-flags" in m or "icmp-type" in m or "vlan" in m:
            return False
        if "in" in m and m["in"] != pkt["in"]:
            return False
        if "proto" in m and PROTO.get(m["proto"], -1) != 17:
            return False
        if "dst" in m and not self.addr_ok(m["dst"], pkt["family"], pkt["dst"]):
            return False
        for k in ("sport", "dport"):
            if k in m:
                lo, hi = parse_range(m[k])
                if not lo <= pkt[k] <= hi:
                    return False
        if "src" in m and not m["src"].startswith("@"):
            # A prefix of the other family can never match.
            if parse_prefix(m["src"])[0] != pkt["family"]:
                return False
        return True

    def candidates(self, pkt):
        """Rules a source may still decide, given the rest of pkt."""
        return [r for r in self.rules if self.rest_ok(r[1], pkt)]


class Checker:
    """Whether sources of a flood meet the set rule and no other rule."""

    def __init__(self, cfg, pkt):
        self.cfg = cfg
        self.pkt = pkt
        cands = cfg.candidates(pkt)
        self.target = [r for r in cands if r[1].get("src") == "@" + SET_NAME]
        if not self.target or self.target[0][0] != SET_PRIO:
            die("no rule %d src @%s can match the flood" % (SET_PRIO, SET_NAME))
        other = [r for r in cands if r[0] != SET_PRIO]
        bits = 32 if pkt["family"] == 4 else 128
        self.texts, self.sets, self.any = [], [], None
        for prio, m, text in other:
            s = m.get("src")
            if s is None:
                self.any = text  # matches every source
            elif s.startswith("@"):
                self.sets.append((s, text))
            else:
                _, a, plen = parse_prefix(s)
                self.texts.append((a, plen, text))
        self.other = Prefixes((a, plen, bits) for a, plen, _ in self.texts)

    def why_not(self, a, member=False):
        """None if source a is good, else what is wrong; member: a is
        known to be in the set."""
        fam = self.pkt["family"]
        if not member and not self.cfg.set_has(SET_NAME, fam, a):
            return "not in @" + SET_NAME
        if self.any:
            return "also matches: " + self.any
        for s, text in self.sets:
            if self.cfg.addr_ok(s, fam, a):
                return "also matches: " + text
        if a in self.other:
            bits = 32 if fam == 4 else 128
            for n, plen, text in self.texts:
                if a >> (bits - plen) == n >> (bits - plen):
                    return "also matches: " + text
        return None

    def matches_nothing(self, a):
        fam = self.pkt["family"]
        if self.cfg.set_has(SET_NAME, fam, a) or self.any or a in self.other:
            return False
        return not any(self.cfg.addr_ok(s, fam, a) for s, _ in self.sets)


def read_env(d):
    env = {}
    with open(os.path.join(d, "flood.env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v
    return env


def flood_packet(env, family):
    if family == 6 and "FLOOD_DST6" not in env:
        die("this mix has no IPv6 flood (no --set6)")
    return {"family": family, "in": env["FLOOD_IN"],
            "dst": int(ipaddress.ip_address(
                env["FLOOD_DST6" if family == 6 else "FLOOD_DST"])),
            "sport": int(env["FLOOD_SPORT"]), "dport": int(env["FLOOD_DPORT"])}


def pick_flood(cfg, rng, iface, dst, want6):
    """Destination and ports no rule but the set rule can match."""
    used = [parse_range(r[1][k]) for r in cfg.rules for k in ("sport", "dport")
            if k in r[1]]

    def port_free(p):
        return not any(lo <= p <= hi for lo, hi in used)

    for _ in range(100000):
        pkt = {"family": 4, "in": iface,
               "dst": int(ipaddress.IPv4Address(dst)) if dst
               else rng.getrandbits(32),
               "sport": rng.randint(1024, 65535),
               "dport": rng.randint(1, 65535)}
        if [r[0] for r in cfg.candidates(pkt)] != [SET_PRIO]:
            continue
        if not want6:
            return pkt, None
        pkt6 = dict(pkt, family=6, dst=rng.getrandbits(128))
        if [r[0] for r in cfg.candidates(pkt6)] == [SET_PRIO]:
            return pkt, pkt6
    die("no destination and ports found that only the set rule can match")


def free_port(cfg, rng, avoid):
    used = [parse_range(r[1][k]) for r in cfg.rules for k in ("sport", "dport")
            if k in r[1]]
    for _ in range(100000):
        p = rng.randint(1, 65535)
        if p not in avoid and not any(lo <= p <= hi for lo, hi in used):
            return p
    die("every UDP port is named by some rule")


def sample_sources(cfg, checker, family, count, rng):
    """One address from each of count distinct prefixes of the set."""
    nets = [(a, plen) for f, a, plen in cfg.sets.get(SET_NAME, ()) if f == family]
    if count > len(nets):
        die("--count %d: the set holds only %d IPv%d prefixes"
            % (count, len(nets), family))
    bits = 32 if family == 4 else 128
    out = []
    for a, plen in rng.sample(nets, count):
        host = rng.getrandbits(bits - plen) if plen < bits else 0
        out.append(a | host)
    bad = [(a, checker.why_not(a, True)) for a in out]
    bad = [(a, w) for a, w in bad if w]
    if bad:
        fmt = ip4 if family == 4 else ip6
        die("%d sources do not meet rule %d alone, e.g. %s: %s"
            % (len(bad), SET_PRIO, fmt(bad[0][0]), bad[0][1]))
    return out


def miss_source(checker, family, rng):
    for _ in range(100000):
        a = rng.getrandbits(32 if family == 4 else 128)
        if checker.matches_nothing(a):
            return a
    die("no source found that matches nothing")


def cmd_gen(o):
    lengths = list(range(8, 33))
    if o.lengths:
        try:
            lengths = sorted({int(x) for x in o.lengths.split(",")})
        except ValueError:
            die("--lengths: comma-separated prefix lengths, 0..32")
        if not lengths or lengths[0] < 0 or lengths[-1] > 32:
            die("--lengths: comma-separated prefix lengths, 0..32")
    if o.rules > SET_PRIO - FIRST_PRIO:
        die("--rules %d: at most %d below the set rule's priority %d"
            % (o.rules, SET_PRIO - FIRST_PRIO, SET_PRIO))
    if o.set < 1:
        die("--set must be at least 1: the flood comes from the set")
    try:
        avoid = [ipaddress.ip_network(x) for x in o.avoid]
    except ValueError as e:
        die("--avoid: %s" % e)
    os.makedirs(o.out, exist_ok=True)

    g = Gen(random.Random("%s/rules" % o.seed), lengths, o.exact_ports,
            [x for x in avoid if x.version == 4])
    lines = ["# tools/bench/mix.py gen --seed %s --rules %d --set %d --set6 %d%s%s"
             % (o.seed, o.rules, o.set, o.set6,
                " --lengths " + o.lengths if o.lengths else "",
                " --exact-ports" if o.exact_ports else ""),
             "set load %s blk.txt" % SET_NAME]
    blk = random_set(random.Random("%s/set4" % o.seed), o.set, 32, 24, 32,
                     [x for x in avoid if x.version == 4])
    write_set(os.path.join(o.out, "blk.txt"), blk, ip4)
    sets = {SET_NAME: [(4, a, plen) for a, plen in blk]}
    if o.set6:
        blk6 = random_set(random.Random("%s/set6" % o.seed), o.set6, 128, 32,
                          128, [x for x in avoid if x.version == 6])
        write_set(os.path.join(o.out, "blk6.txt"), blk6, ip6)
        sets[SET_NAME] += [(6, a, plen) for a, plen in blk6]
        lines.append("set load %s blk6.txt" % SET_NAME)
    for i in range(o.rules):
        lines.append("rule add %d %s" % (FIRST_PRIO + i,
                                         rule_body(g, i % 12, o.iface)))
    lines.append("rule add %d src @%s drop" % (SET_PRIO, SET_NAME))
    conf = os.path.join(o.out, "mix.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    # The first rules alone, with the same set: what flood.env says holds
    # for them too, the rules being fewer.
    nhead = len(lines) - o.rules - 1
    for n in o.subset:
        if n > o.rules:
            die("--subset %d: more than the %d rules" % (n, o.rules))
        with open(os.path.join(o.out, "mix-%d.conf" % n), "w") as f:
            f.write("\n".join(lines[:nhead + n] + lines[-1:]) + "\n")

    cfg = Config(conf, sets)
    rng = random.Random("%s/flood" % o.seed)
    pkt, pkt6 = pick_flood(cfg, rng, o.flood_in, o.flood_dst, o.set6 > 0)
    env = {"FLOOD_IN": o.flood_in, "FLOOD_DST": ip4(pkt["dst"]),
           "FLOOD_SPORT": pkt["sport"], "FLOOD_DPORT": pkt["dport"]}
    chk = Checker(cfg, pkt)
    env["HIT_SRC"] = ip4(sample_sources(cfg, chk, 4, 1, rng)[0])
    env["MISS_SRC"] = ip4(miss_source(chk, 4, rng))
    if pkt6:
        chk6 = Checker(cfg, pkt6)
        env["FLOOD_DST6"] = ip6(pkt6["dst"])
        env["HIT_SRC6"] = ip6(sample_sources(cfg, chk6, 6, 1, rng)[0])
        env["MISS_SRC6"] = ip6(miss_source(chk6, 6, rng))
    env["FREE_DPORT"] = free_port(cfg, rng, {pkt["dport"], pkt["sport"]})
    with open(os.path.join(o.out, "flood.env"), "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in env.items()))


def cmd_sources(o):
    cfg = Config(os.path.join(o.dir, "mix.conf"))
    chk = Checker(cfg, flood_packet(read_env(o.dir), o.family))
    fmt = ip4 if o.family == 4 else ip6
    src = sample_sources(cfg, chk, o.family, o.count,
                         random.Random("%s/sources" % o.seed))
    sys.stdout.write("".join(fmt(a) + "\n" for a in src))


def cmd_check(o):
    cfg = Config(os.path.join(o.dir, "mix.conf"))
    chk = Checker(cfg, flood_packet(read_env(o.dir), o.family))
    n = 0
    with open(o.file) as f:
        for line in f:
            s = line.strip()
            if not s:
                continue
            a = ipaddress.ip_address(s)
            if a.version != o.family:
                die("%s: not IPv%d" % (s, o.family))
            why = chk.why_not(int(a))
            if why:
                die("%s: %s" % (s, why))
            n += 1
    print("mix: %d sources meet rule %d and no other rule" % (n, SET_PRIO))


def count(s):
    """10000, 10k, 1M."""
    mult = {"k": 1000, "K": 1000, "M": 1000000}.get(s[-1:], 1)
    try:
        v = int(s[:-1] if mult > 1 else s) * mult
    except ValueError:
        raise argparse.ArgumentTypeError("not a count: %r" % s)
    if v < 0:
        raise argparse.ArgumentTypeError("negative count: %r" % s)
    return v


def main():
    ap = argparse.ArgumentParser(
        prog="mix.py", description="the everyday rule mix of issue 8")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write a configuration, sets, flood.env")
    g.add_argument("--out", required=True, help="directory to write into")
    g.add_argument("--rules", type=count, default=10000)
    g.add_argument("--set", type=count, default=1000000,
                   help="IPv4 prefixes of blk (/24-/32)")
    g.add_argument("--set6", type=count, default=0,
                   help="IPv6 prefixes also in blk (/32-/128)")
    g.add_argument("--subset", type=count, action="append", default=[],
                   help="also write mix-N.conf: the first N rules, same set")
    g.add_argument("--seed", default="1")
    g.add_argument("--iface", default="other0",
                   help="OTHER_IFACE, the interface of the 'in' shape")
    g.add_argument("--flood-in", default="",
                   help="the interface the flood enters by (default: "
                   "none sluice knows, as in test_run)")
    g.add_argument("--flood-dst", help="the flood's IPv4 destination")
    g.add_argument("--avoid", action="append", default=[],
                   help="a prefix no rule or set prefix may overlap")
    g.add_argument("--lengths", help="P's lengths, e.g. 16,24,32 "
                   "(default: 8..32)")
    g.add_argument("--exact-ports", action="store_true",
                   help="single ports instead of the shapes' ranges")
    g.set_defaults(fn=cmd_gen)
    s = sub.add_parser("sources", help="flood sources inside blk, checked")
    s.add_argument("dir")
    s.add_argument("--count", type=count, required=True)
    s.add_argument("--family", type=int, choices=(4, 6), default=4)
    s.add_argument("--seed", default="1")
    s.set_defaults(fn=cmd_sources)
    c = sub.add_parser("check", help="check a list of flood sources")
    c.add_argument("dir")
    c.add_argument("file")
    c.add_argument("--family", type=int, choices=(4, 6), default=4)
    c.set_defaults(fn=cmd_check)
    o = ap.parse_args()
    if o.cmd == "gen" and o.iface == o.flood_in:
        die("--iface and --flood-in must differ: the 'in' rules would match")
    o.fn(o)


if __name__ == "__main__":
    main()
