#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install from Debian what building and testing sluice needs and this
# machine lacks.  Quiet and quick when nothing is missing.
#
#   deps.sh           what building needs
#   deps.sh --test    what building and testing (sanitizers, fuzzers) need
#   deps.sh --check   name what building needs and is missing; install nothing
set -eu

build="clang llvm libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
libmnl-dev libpcap-dev libjson-c-dev libmicrohttpd-dev libcmocka-dev
iproute2 pkg-config make gcc clang-format"
test="iputils-ping iperf3 socat tcpdump nftables ethtool prometheus
python3-scapy procps psmisc curl libclang-rt-dev tshark exabgp bird2"

want=$build
[ "${1:-}" = "--test" ] && want="$build $test"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
	echo "deps: missing:$missing (\"make deps\" installs them)" >&2
	exit 1
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
