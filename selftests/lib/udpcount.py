#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Count UDP datagrams per source address until the flood is over.

    udpcount.py PORT READY-FILE

Listens on [::]:PORT (IPv4 and IPv6) with a large buffer, writes
READY-FILE once listening, and ends after a second with nothing received
(once something was) or 60 s in all; then prints one JSON object,
{"total": N, "sources": {"ADDR": N, ...}}.
"""
import json
import socket
import sys
import time

SO_RCVBUFFORCE = 33


def main():
    port, ready = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # Root may pass rmem_max: the counter must not be what drops.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
    s.bind(("::", port))
    s.settimeout(1.0)
    open(ready, "w").close()
    counts = {}
    total = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _, addr = s.recvfrom(2048)
        except socket.timeout:
            if total:
                break
            continue
        src = addr[0]
        if src.startswith("::ffff:"):
            src = src[7:]
        counts[src] = counts.get(src, 0) + 1
        total += 1
    print(json.dumps({"total": total, "sources": counts}))


main()
