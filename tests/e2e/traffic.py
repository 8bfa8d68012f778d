#!/usr/bin/env python3
"""Traffic for the end-to-end tests: sockets with a chosen DSCP (IP_TOS /
IPV6_TCLASS), payloads that the receiver verifies, and JSON results.

Every loop is bounded in count and time; every socket has a timeout."""
import argparse
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import time

IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def set_tos(sock, fam, tos):
    if fam == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, tos)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)


def payload(seq, size):
    head = struct.pack("!IQ", seq, size)
    body = hashlib.sha256(head).digest()
    data = (head + body * (size // len(body) + 1))[:max(size, len(head))]
    return data


def valid(data):
    if len(data) < 12:
        return None
    seq, size = struct.unpack("!IQ", data[:12])
    return seq if data == payload(seq, size) and len(data) == max(size, 12) else None


def tos_list(x):
    """One TOS value, or several separated by commas (sent in turn)."""
    return [int(v, 0) for v in x.split(",")]


def udp_send(a):
    fam = family_of(a.dst)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    for i in range(a.count):
        if i == 0 or len(a.tos) > 1:
            set_tos(s, fam, a.tos[i % len(a.tos)])
        s.sendto(payload(a.first + i, a.size), (a.dst, a.port))
        if a.interval:
            time.sleep(a.interval)
    print(json.dumps({"sent": a.count}))


def udp_stream(a):
    """Sends numbered datagrams at a steady rate for a fixed time."""
    fam = family_of(a.dst)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    set_tos(s, fam, a.tos[0])
    if a.sport:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    gap = 1.0 / a.pps
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < a.duration:
        s.sendto(payload(n, a.size), (a.dst, a.port))
        n += 1
        nxt = start + n * gap
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({"sent": n}), flush=True)


class Stop(Exception):
    pass


def udp_recv(a):
    """Receives until --expect datagrams, --idle, --timeout, or SIGTERM/SIGUSR1
    (a clean stop: the result is printed all the same)."""
    stop = []
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        signal.signal(sig, lambda *_: stop.append(1))
    fam = family_of(a.bind)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((a.bind, a.port))
    s.settimeout(0.2)
    seen, bad, dup, tos_seen = set(), 0, 0, {}
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
    if a.ready:
        open(a.ready, "w").close()
    deadline = time.monotonic() + a.timeout
    idle_deadline = None
    while time.monotonic() < deadline and not stop:
        if a.expect and len(seen) >= a.expect:
            break
        if idle_deadline and time.monotonic() > idle_deadline:
            break
        try:
            data, anc, _, _ = s.recvmsg(65535, socket.CMSG_SPACE(4))
        except (socket.timeout, InterruptedError):
            continue
        if a.idle:
            idle_deadline = time.monotonic() + a.idle
        tos = None
        for level, typ, val in anc:
            tos = val[0] if len(val) == 1 else struct.unpack("i", val[:4])[0]
        if tos is not None:
            tos_seen[tos >> 2] = tos_seen.get(tos >> 2, 0) + 1
        seq = valid(data)
        if seq is None:
            bad += 1
        elif seq in seen:
            dup += 1
        else:
            seen.add(seq)
    print(json.dumps({"received": len(seen), "bad": bad, "dup": dup,
                      "max_seq": max(seen) if seen else -1,
                      "dscp": {str(k): v for k, v in sorted(tos_seen.items())}}), flush=True)


def tcp_sink(a):
    """Accepts one connection, reads to EOF, answers with the SHA-256 of what it read."""
    fam = family_of(a.bind)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_tos(ls, fam, a.tos)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    if a.ready:
        open(a.ready, "w").close()
    c, peer = ls.accept()
    c.settimeout(a.timeout)
    h = hashlib.sha256()
    total = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        h.update(d)
        total += len(d)
    c.sendall(h.hexdigest().encode())
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(json.dumps({"bytes": total, "sha256": h.hexdigest(), "peer": list(peer[:2])}), flush=True)


def tcp_send(a):
    fam = family_of(a.dst)
    s = socket.socket(fam, socket.SOCK_STREAM)
    set_tos(s, fam, a.tos)
    if a.sport:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    s.settimeout(a.timeout)
    s.connect((a.dst, a.port))
    data = payload(7, a.bytes)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        d = s.recv(1024)
        if not d:
            break
        reply += d
    s.close()
    ok = reply.decode() == hashlib.sha256(data).hexdigest()
    print(json.dumps({"bytes": len(data), "intact": ok}), flush=True)
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("udp-send", "udp-stream"):
        q = sub.add_parser(name)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--sport", type=int, default=0)
        q.add_argument("--tos", type=tos_list, default=[0],
                       help="TOS byte (DSCP << 2 | ECN); udp-send takes a comma-separated list, used in turn")
        q.add_argument("--size", type=int, default=200)
        q.add_argument("--count", type=int, default=10)
        q.add_argument("--first", type=int, default=0)
        q.add_argument("--interval", type=float, default=0.0)
        q.add_argument("--pps", type=float, default=500)
        q.add_argument("--duration", type=float, default=1.0)
    q = sub.add_parser("udp-recv")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--expect", type=int, default=0)
    q.add_argument("--timeout", type=float, default=10)
    q.add_argument("--idle", type=float, default=0, help="stop after this long without data")
    q.add_argument("--ready", help="touch this file once listening")
    q = sub.add_parser("tcp-sink")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--tos", type=lambda x: int(x, 0), default=0)
    q.add_argument("--timeout", type=float, default=10)
    q.add_argument("--ready")
    q = sub.add_parser("tcp-send")
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--sport", type=int, default=0)
    q.add_argument("--tos", type=lambda x: int(x, 0), default=0)
    q.add_argument("--bytes", type=int, default=100000)
    q.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    # DW_E2E_TIME_SCALE stretches every timeout on a slow machine (vmtest's
    # qemu under TCG sets it); counts and rates are not touched.
    scale = float(os.environ.get("DW_E2E_TIME_SCALE", "1") or 1)
    for name in ("timeout", "idle"):
        if getattr(a, name, None):
            setattr(a, name, getattr(a, name) * scale)
    {"udp-send": udp_send, "udp-stream": udp_stream, "udp-recv": udp_recv,
     "tcp-sink": tcp_sink, "tcp-send": tcp_send}[a.cmd](a)


if __name__ == "__main__":
    main()
