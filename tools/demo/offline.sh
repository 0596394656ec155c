#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The offline half of the demo: sluice test-run of tools/demo/demo.conf on
# a capture built here, through both hooks.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
pcap=$(mktemp --suffix=.pcap)
trap 'rm -f "$pcap"' EXIT

/usr/bin/python3 - "$pcap" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, ARP, wrpcap
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
wrpcap(sys.argv[1], [
    e / IP(src="192.0.2.10", dst="192.0.2.1") / TCP(dport=80, flags="S"),
    e / IP(src="203.0.113.7", dst="192.0.2.1") / TCP(dport=80, flags="S"),
    e / IP(src="192.0.2.10", dst="192.0.2.1") / TCP(dport=22, flags="S"),
    e / IP(src="192.0.2.10", dst="192.0.2.1") / UDP(dport=53),
    e / IP(src="192.0.2.10", dst="192.0.2.1") / TCP(dport=31337, flags="S"),
    e / IP(src="192.0.2.10", dst="192.0.2.1") / ICMP(type=8),
    e / IP(src="192.0.2.10", dst="192.0.2.1") / ICMP(type=13),
    e / IPv6(src="2001:db8:bad::1", dst="2001:db8::1") / TCP(dport=80),
    e / ARP(),
    e / IP(src="192.0.2.10", dst="192.0.2.1", ihl=3) / UDP(dport=53),
])
PY
for hook in xdp tc; do
	echo "== sluice test-run -c demo.conf --hook $hook --pcap capture"
	"$BUILD/sluice" test-run -c "$here/demo.conf" --hook "$hook" --pcap "$pcap"
done
