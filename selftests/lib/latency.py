#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Answer times of sluiced while something else keeps it busy.

latency.py SOCK URL SECONDS [FLAG]: every 20 ms a "status" on the
control socket SOCK and a scrape of URL (skipped when "-"), for SECONDS or
until the file FLAG is gone.  Prints "N MAX_STATUS_MS MAX_SCRAPE_MS".
"""
import json
import os
import socket
import sys
import time
import urllib.request


def status(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(path)
    t = time.monotonic()
    s.sendall(b'{"argv":["status"]}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        buf += c
    s.close()
    if not json.loads(buf).get("ok"):
        raise SystemExit("status failed: %r" % buf)
    return time.monotonic() - t


def scrape(url):
    t = time.monotonic()
    urllib.request.urlopen(url, timeout=30).read()
    return time.monotonic() - t


def alive(flag):
    return not flag or os.path.exists(flag)


def main():
    path, url, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    flag = sys.argv[4] if len(sys.argv) > 4 else None
    end = time.monotonic() + secs
    st, sc = [], []
    while time.monotonic() < end and alive(flag):
        # No answer within 30 s counts as 30 s: the figure still prints.
        try:
            st.append(status(path))
        except OSError:
            st.append(30.0)
        if url != "-":
            try:
                sc.append(scrape(url))
            except OSError:
                sc.append(30.0)
        time.sleep(0.02)
    print(len(st), round(max(st or [0]) * 1000, 1),
          round(max(sc or [0]) * 1000, 1))


main()
