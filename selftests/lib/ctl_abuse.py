#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile and busy clients of sluiced's control socket (user/lib/ctl.h).

    ctl_abuse.py SOCKET EXPECTED_RULES_JSON PHASE

PHASE "malformed": 1,000 malformed requests -- garbage, bad JSON, JSON
of the wrong shape, unknown commands, NULs and invalid UTF-8, oversized
lines, half lines then close -- each followed, where the connection is
meant to stay usable, by a well-formed "rule list" whose reply must be
exactly EXPECTED_RULES_JSON.
PHASE "busy": 50 concurrent clients, 20 well-formed requests each, while
slow clients (a half line left hanging, a byte a second, one that never
reads) hold connections; then more connections than the daemon takes.
PHASE "timeout": a half line and a silent connection are cut off in about
10 s (SL_CTL_TIMEOUT_S) while other clients are served.

Prints one "key value" line per finding for the shell test to assert.
"""
import json
import os
import socket
import sys
import threading
import time

SOCK = sys.argv[1]
EXPECTED = json.loads(sys.argv[2])
PHASE = sys.argv[3]
LINE_MAX = 1 << 20
TIMEOUT = 5.0
INVALID_UTF8 = 0


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(SOCK)
    return s


class Conn:
    def __init__(self):
        self.s = connect()
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """One reply line as JSON, or None when the daemon closed."""
        while b"\n" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            # The protocol is UTF-8: a reply that is not is a finding.
            global INVALID_UTF8
            INVALID_UTF8 += 1
            if INVALID_UTF8 == 1:
                print("# reply not UTF-8: %r" % line[:100])
            return json.loads(line.decode("utf-8", "surrogateescape"))

    def call(self, argv, rid=None):
        req = {"argv": argv}
        if rid is not None:
            req["id"] = rid
        self.send(json.dumps(req).encode() + b"\n")
        return self.reply()

    def close(self):
        self.s.close()


def rules_ok(r, rid=None):
    return (r is not None and r.get("ok") is True
            and r.get("data") == EXPECTED
            and (rid is None or r.get("id") == rid))


def is_error(r):
    return (r is not None and r.get("ok") is False
            and isinstance(r.get("error"), str) and r["error"]
            and "\n" not in r["error"])


# Malformed lines the connection survives (an error reply, then more).
BAD_LINES = [
    b"garbage",
    b"\x00\x01\x02\xff\xfe binary",
    b"{",
    b'{"argv": [',
    b'{"argv": "status"}',
    b'{"argv": 42}',
    b'{"argv": null}',
    b'{"argv": [1, 2, 3]}',
    b'{"argv": [["rule"], "list"]}',
    b'{"argv": []}',
    b'{"argv": ["bogus-command"]}',
    b'{"argv": ["rule", "add", "notaprio", "drop"]}',
    b'{"argv": ["rule", "add", "70000", "drop"]}',
    b'{"argv": ["rule", "del"]}',
    b'{"argv": ["set", "add"]}',
    b'{"argv": ["attach", "does-not-exist-0"]}',
    b'{"argv": ["status", "extra", "words"]}',
    b'{"argv": ["set", "load", "x", "/etc/passwd"]}',
    b'{"nothing": true}',
    b"[]",
    b"42",
    b'"a string"',
    b"null",
    b'{"argv": ["rule\\u0000", "list"]}',
    b'{"argv": ["st\xc3\x28tus"]}',
    b"[" * 5000 + b"]" * 5000,
    b'{"argv": ["rule", "list"], "fd": true}',
    b'{"argv": ["' + b"A" * 100000 + b'"]}',
    b'{"argv": [' + b'"x",' * 5000 + b'"x"]}',
]


def phase_malformed():
    sent = 0
    answered_err = 0
    wrong = []
    good_ok = 0
    good_total = 0
    rid = 0

    # Lines that get an error reply on a connection that stays usable:
    # 950 of them, a fresh connection every 10, a well-formed request
    # after each.
    i = 0
    while sent < 950:
        c = Conn()
        for _ in range(10):
            line = BAD_LINES[i % len(BAD_LINES)]
            i += 1
            c.send(line + b"\n")
            sent += 1
            r = c.reply()
            if is_error(r):
                answered_err += 1
            else:
                wrong.append((line[:40], r))
            rid += 1
            good_total += 1
            if rules_ok(c.call(["rule", "list"], rid), rid):
                good_ok += 1
        c.close()

    # Oversized lines: an error reply, then the connection is closed.
    over_err = 0
    for n in range(10):
        c = Conn()
        try:
            c.send(b'{"argv": ["' + b"x" * (LINE_MAX + 4096 * (n + 1)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # it may stop reading once the line is too long
        try:
            r = c.reply()
        except (OSError, ValueError):
            r = None
        if is_error(r):
            over_err += 1
        else:
            wrong.append(("oversized", r))
        c.close()
        sent += 1

    # Half lines, then close; and connects that close at once.
    for n in range(40):
        c = Conn()
        if n % 2 == 0:
            c.send(b'{"argv": ["rule", "li')
        c.close()
        sent += 1

    # The daemon still answers a fresh client correctly.
    c = Conn()
    good_total += 1
    if rules_ok(c.call(["rule", "list"], "final"), "final"):
        good_ok += 1
    c.close()

    print("malformed_sent", sent)
    print("malformed_answered_with_error", answered_err + over_err)
    print("oversized_answered_with_error", over_err)
    print("wellformed_total", good_total)
    print("wellformed_ok", good_ok)
    print("invalid_utf8_replies", INVALID_UTF8)
    for w in wrong[:5]:
        print("# unexpected reply to %r: %r" % w)


def phase_busy():
    results = {"ok": 0, "bad": 0, "slow": 0}
    lock = threading.Lock()
    notes = []
    start = threading.Barrier(50)

    def client(n):
        ok = bad = slow = 0
        try:
            c = Conn()
            start.wait()
            for k in range(20):
                t0 = time.monotonic()
                which = k % 4
                if which == 0:
                    r = c.call(["rule", "list"], "%d.%d" % (n, k))
                    good = rules_ok(r, "%d.%d" % (n, k))
                elif which == 1:
                    r = c.call(["status"], "%d.%d" % (n, k))
                    good = (r and r.get("ok") and r.get("id") == "%d.%d" % (n, k)
                            and r["data"]["rules"]["count"] == len(EXPECTED))
                elif which == 2:
                    r = c.call(["stats"], "%d.%d" % (n, k))
                    good = (r and r.get("ok") and r.get("id") == "%d.%d" % (n, k)
                            and isinstance(r["data"]["rules"], list))
                else:
                    r = c.call(["set", "list", "blk"], "%d.%d" % (n, k))
                    good = (r and r.get("ok") and r.get("id") == "%d.%d" % (n, k)
                            and r["data"]["set"] == "blk")
                if time.monotonic() - t0 > 2.0:
                    slow += 1
                if good:
                    ok += 1
                else:
                    bad += 1
                    with lock:
                        if len(notes) < 5:
                            notes.append("client %d request %d: %r" % (n, k, r))
            c.close()
        except Exception as e:  # noqa: BLE001 -- any failure is a finding
            bad += 20 - ok - bad
            with lock:
                notes.append("client %d: %r" % (n, e))
        with lock:
            results["ok"] += ok
            results["bad"] += bad
            results["slow"] += slow

    # Hostile neighbours for the whole run.
    hang = Conn()
    hang.send(b'{"argv": ["rule", "li')
    noread = Conn()
    noread.send(b'{"argv": ["stats"]}\n' * 100)
    dribble = Conn()
    stop = threading.Event()

    def dribbler():
        for ch in b'{"argv": ["status"]}':
            if stop.wait(0.2):
                return
            try:
                dribble.send(bytes([ch]))
            except OSError:
                return

    dt = threading.Thread(target=dribbler)
    dt.start()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    stop.set()
    dt.join()
    for c in (hang, noread, dribble):
        c.close()

    print("busy_requests", 50 * 20)
    print("busy_ok", results["ok"])
    print("busy_bad", results["bad"])
    print("busy_slower_than_2s", results["slow"])
    print("busy_elapsed_ms", int(elapsed * 1000))
    for n in notes:
        print("# " + n)

    # More connections than the daemon takes: the extra ones are told so,
    # and once they are gone a new client is served.
    time.sleep(0.3)
    conns = []
    refused = 0
    for n in range(70):
        try:
            conns.append(Conn())
        except OSError:
            refused += 1
    time.sleep(0.5)
    for c in conns:
        # The accepted ones have nothing to say; the others were told.
        c.s.setblocking(False)
        try:
            data = c.s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        c.buf = data + b"\n"
        r = c.reply() if data else None
        if r is not None and is_error(r) and "client" in r["error"]:
            refused += 1
    for c in conns:
        c.close()
    time.sleep(0.3)
    print("too_many_refused", refused)
    c = Conn()
    print("after_flood_ok", 1 if rules_ok(c.call(["rule", "list"], 1), 1) else 0)
    c.close()


def phase_timeout():
    """A half line and a silent connection are cut off, in about
    SL_CTL_TIMEOUT_S (10 s), while others are served."""
    half = Conn()
    half.send(b'{"argv": ["rule", "li')
    idle = Conn()
    t0 = time.monotonic()
    served = 0
    closed = {}
    while time.monotonic() - t0 < 16 and len(closed) < 2:
        c = Conn()
        if rules_ok(c.call(["rule", "list"])):
            served += 1
        c.close()
        for name, k in (("half", half), ("idle", idle)):
            if name in closed:
                continue
            k.s.setblocking(False)
            try:
                data = k.s.recv(65536)
                if data == b"" or b"\n" in data:
                    closed[name] = time.monotonic() - t0
            except BlockingIOError:
                pass
            except OSError:
                closed[name] = time.monotonic() - t0
        time.sleep(0.25)
    for name in ("half", "idle"):
        print("cut_off_%s_s" % name, int(closed[name]) if name in closed else -1)
    print("served_meanwhile", served)


if PHASE == "timeout":
    phase_timeout()
elif PHASE == "malformed":
    phase_malformed()
elif PHASE == "busy":
    phase_busy()
else:
    sys.exit("unknown phase " + PHASE)
