#!/usr/bin/env python3
"""The incident lab's TLS server: a real TLS endpoint (python3 ssl, OpenSSL)
whose packets all carry one DSCP, like the cloud service that marked its
ServerHello EF.

The marking is set on the listening socket (IP_TOS / IPV6_TCLASS); Linux copies
it into every accepted socket, so the SYN-ACK and the whole server flight carry
it. Each accepted socket's value is read back and logged ("tos").

Modes:
  normal  TLS handshake, then a small HTTP/1.1 response, so curl completes.
  reset   read the ClientHello, then close with SO_LINGER 0: a TCP RST, no answer.
  alert   the SNI callback refuses every name: the server answers the
          ClientHello with a fatal unrecognized_name alert (cleartext, as no
          keys exist yet in TLS 1.2 or 1.3).

One thread per connection; every socket operation has a timeout. One JSON line
per connection goes to --log."""
import argparse
import json
import socket
import ssl
import struct
import sys
import threading
import time

IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)
_log_lock = threading.Lock()


def log(a, **rec):
    rec["t"] = round(time.time(), 3)
    line = json.dumps(rec)
    with _log_lock:
        if a.log:
            with open(a.log, "a") as f:
                f.write(line + "\n")
        else:
            print(line, flush=True)


def get_tos(sock, fam):
    if fam == socket.AF_INET6:
        return sock.getsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS)
    return sock.getsockopt(socket.IPPROTO_IP, socket.IP_TOS)


def read_client_hello(conn):
    """Reads one TLS record (the ClientHello) or whatever arrives before the timeout."""
    data = b""
    while True:
        if len(data) >= 5:
            need = 5 + struct.unpack("!H", data[3:5])[0]
            if len(data) >= need:
                break
        d = conn.recv(16384)
        if not d:
            break
        data += d
    return data


def serve_http(tls, body):
    req = b""
    while b"\r\n\r\n" not in req and len(req) < 65536:
        d = tls.recv(16384)
        if not d:
            return False
        req += d
    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    return True


def abort(conn):
    """Closes with a RST: a handshake that failed (the client gave up, or the
    timeout struck) leaves no orphan socket that would keep retransmitting its
    flight, so one scenario's retransmissions never leak into the next one's
    counters."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


def handle(a, ctx, conn, peer, fam):
    rec = {"peer": peer[0], "port": peer[1], "tos": get_tos(conn, fam), "mode": a.mode}
    conn.settimeout(a.io_timeout)
    start = time.monotonic()
    sock = conn
    try:
        if a.mode == "reset":
            hello = read_client_hello(conn)
            rec["client_hello_bytes"] = len(hello)
            abort(conn)
            rec["result"] = "reset"
            return
        # wrap_socket takes over conn's descriptor: from here on, close sock.
        sock = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        sock.do_handshake()
        rec["version"] = sock.version()
        rec["cipher"] = sock.cipher()[0]
        rec["result"] = "http" if serve_http(sock, a.body) else "handshake-only"
        # A full TLS shutdown: send close_notify and wait for the client's, so
        # the client's close_notify does not reach a closed socket, whose
        # kernel RST would carry TOS 0 (the kernel's reply socket), not ours.
        sock.settimeout(2.0)
        try:
            sock.unwrap().close()
        except (ssl.SSLError, OSError):
            sock.close()
    except (ssl.SSLError, OSError) as e:  # socket.timeout is an OSError
        rec["result"] = "error"
        rec["error"] = f"{type(e).__name__}: {e}"
        if a.mode == "alert":
            sock.close()  # a FIN after the alert: a RST could discard it unsent
        else:
            abort(sock)
    finally:
        rec["secs"] = round(time.monotonic() - start, 3)
        log(a, **rec)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--cert", required=True, help="PEM chain: leaf, then intermediate")
    p.add_argument("--key", required=True)
    p.add_argument("--tls", choices=["1.2", "1.3", "any"], default="any")
    p.add_argument("--tos", type=lambda x: int(x, 0), default=0xB8, help="whole TOS byte: 0xb8 = EF")
    p.add_argument("--mode", choices=["normal", "reset", "alert"], default="normal")
    p.add_argument("--io-timeout", type=float, default=10.0)
    p.add_argument("--body", default="hello from the lab\n")
    p.add_argument("--ready", help="touch this file once listening")
    p.add_argument("--log", help="append one JSON line per connection (default stdout)")
    a = p.parse_args()
    a.body = a.body.encode()

    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        ls.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, a.tos)
    else:
        ls.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, a.tos)
    ls.bind((a.bind, a.port))
    ls.listen(256)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.tls == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif a.tls == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if a.mode == "alert":
        ctx.sni_callback = lambda sslobj, name, c: ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    log(a, event="listening", bind=a.bind, port=a.port, tls=a.tls, tos=get_tos(ls, fam), mode=a.mode)
    if a.ready:
        open(a.ready, "w").close()
    while True:
        conn, peer = ls.accept()
        threading.Thread(target=handle, args=(a, ctx, conn, peer, fam), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
