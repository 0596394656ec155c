# SPDX-License-Identifier: GPL-2.0-only
"""forge_ack.py SRC DST DPORT COUNT: COUNT bare TCP ACKs from SRC to
DST:DPORT through a raw socket, each with a fresh source port and random
sequence and acknowledgment numbers: cookie ACKs of handshakes that never
happened, whose cookies cannot check.  IPv4 or IPv6, by the addresses."""
import os
import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_ack(src, dst, sport, dport, family):
    seq, ack = random.getrandbits(32), random.getrandbits(32)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10,
                      64240, 0, 0)
    if family == socket.AF_INET:
        pseudo = socket.inet_pton(family, src) + socket.inet_pton(family, dst)
        pseudo += struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
    else:
        pseudo = socket.inet_pton(family, src) + socket.inet_pton(family, dst)
        pseudo += struct.pack("!I3xB", len(hdr), socket.IPPROTO_TCP)
    c = csum(pseudo + hdr)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:]


def main():
    src, dst, dport, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))
    for i in range(count):
        pkt = tcp_ack(src, dst, 20000 + i, dport, family)
        s.sendto(pkt, (dst, 0))
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
