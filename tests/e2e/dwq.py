#!/usr/bin/env python3
"""Queries for the end-to-end tests, so the shell scripts stay short.

  dwq.py json EXPR... < JSON
      Evaluates Python expressions over dscpwatch's JSON (bound to `j`) and
      prints each result on its own line. Helpers usable in EXPR:
        st(iface, dir, dscp, f="packets")   per-DSCP counter from `stats --json`
        rm(iface, dir, old, new, f="packets")  remark counter from `stats --json`
        dsum()                              sum of every per-DSCP row's packets
        row(x, ...)                         the values, space-separated (dicts as JSON)
        flows(**match)                      flows from `flows --json` matching
                                            proto=, port= (server port), cport= (client
                                            port), family=, server=, client=, addrs=[a, b]
        dscps(flow, "c2s")                  {dscp: packets} of one direction
        fline(flows)                        "N orientation c2s-pkts c2s-bytes s2c-pkts
                                            s2c-bytes {c2s dscps} {s2c dscps}" (first flow)

  dwq.py pcap FILE
      Reads a capture with tshark (checksums verified) and prints one TSV row
      per frame: fam src dst proto sport dport dscp ecn ipcsum l4csum len tcplen retx
      (ipcsum/l4csum: good, bad, unverified or -; an L4 checksum of 0xffff
      where 0x0000 is computed counts as good: the same value in one's
      complement, and what Linux sends; retx: 1 for a TCP retransmission).

  dwq.py count TSV PRED [KEY]
      Counts the rows of a `pcap` dump where the Python expression PRED holds;
      with KEY, grouped by that expression: prints "key:count" pairs sorted by
      key ("-" when none). Row fields are variables (dport, dscp, ecn, ...).

  dwq.py sum TSV PRED EXPR
      The sum of EXPR over the rows where PRED holds (e.g. the bytes: len).

  dwq.py groups TSV KEY PRED...
      `count TSV PRED KEY` for many predicates: one line each.

  dwq.py tcx DEV
      The program ids attached to DEV's TCX hooks (run it in DEV's namespace):
      "tcx ingress:[ids] egress:[ids]".

  dwq.py frames TSV PRED...
      For each predicate, one line: "frames bytes" of the rows where it holds.
"""
import ctypes
import json
import socket
import struct
import subprocess
import sys

COLS = ["fam", "src", "dst", "proto", "sport", "dport", "dscp", "ecn", "ipcsum", "l4csum", "len", "tcplen", "retx"]
INT_COLS = {"proto", "sport", "dport", "dscp", "ecn", "len", "tcplen", "retx"}


def cmd_json(exprs):
    j = json.load(sys.stdin)

    def st(iface, direction, dscp, f="packets"):
        return sum(e[f] for e in j.get("interfaces", [])
                   if e["interface"] == iface and e["direction"] == direction and e["dscp"] == dscp)

    def rm(iface, direction, old, new, f="packets"):
        return sum(e[f] for e in j.get("remarks", [])
                   if e["interface"] == iface and e["direction"] == direction
                   and e["from"] == old and e["to"] == new)

    def dsum():
        return sum(e["packets"] for e in j.get("interfaces", []))

    def flows(**m):
        out = []
        for f in j.get("flows", []):
            if "proto" in m and f["proto_name"] != m["proto"]:
                continue
            if "family" in m and f["family"] != m["family"]:
                continue
            if "port" in m and f["server"].get("port") != m["port"]:
                continue
            if "cport" in m and f["client"].get("port") != m["cport"]:
                continue
            if "server" in m and f["server"]["addr"] != m["server"]:
                continue
            if "client" in m and f["client"]["addr"] != m["client"]:
                continue
            if "addrs" in m and {f["client"]["addr"], f["server"]["addr"]} != set(m["addrs"]):
                continue
            out.append(f)
        return out

    def dscps(f, d):
        return {e["value"]: e["packets"] for e in f[d]["dscp"]}

    def fline(fs):
        """One line per flow list: count, then for the first flow: orientation,
        c2s packets bytes, s2c packets bytes, c2s {dscp: packets}, s2c {...}."""
        if not fs:
            return "0"
        f = fs[0]
        return row(len(fs), f["orientation"], f["c2s"]["packets"], f["c2s"]["bytes"],
                   f["s2c"]["packets"], f["s2c"]["bytes"], dscps(f, "c2s"), dscps(f, "s2c"))

    def row(*xs):
        return " ".join(json.dumps(x, sort_keys=True) if isinstance(x, (dict, list)) else str(x) for x in xs)

    env = {"j": j, "st": st, "rm": rm, "dsum": dsum, "flows": flows, "dscps": dscps, "row": row, "fline": fline,
           "json": json}
    for expr in exprs:
        r = eval(expr, env)
        print(json.dumps(r, sort_keys=True) if isinstance(r, (dict, list)) else r)


def cmd_pcap(path):
    fields = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.proto", "ipv6.nxt",
              "udp.srcport", "tcp.srcport", "udp.dstport", "tcp.dstport",
              "ip.dsfield.dscp", "ipv6.tclass.dscp", "ip.dsfield.ecn", "ipv6.tclass.ecn",
              "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
              "frame.len", "tcp.len", "tcp.analysis.retransmission", "tcp.analysis.spurious_retransmission",
              "tcp.checksum", "tcp.checksum_calculated", "udp.checksum", "udp.checksum_calculated"]
    args = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    status = {"0": "bad", "1": "good", "2": "unverified", "": "-"}
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        v4 = bool(v["ip.src"])
        if not v4 and not v["ipv6.src"]:
            continue
        l4 = v["udp.checksum.status"] or v["tcp.checksum.status"]
        got = v["udp.checksum"] or v["tcp.checksum"]
        want = v["udp.checksum_calculated"] or v["tcp.checksum_calculated"]
        if l4 == "0" and got == "0xffff" and want == "0x0000":
            # One's complement -0: Linux sends a computed 0 as 0xffff
            # (CSUM_MANGLED_0), which receivers accept; Wireshark calls it bad.
            l4 = "1"
        row = [
            "4" if v4 else "6",
            v["ip.src"] or v["ipv6.src"],
            v["ip.dst"] or v["ipv6.dst"],
            v["ip.proto"] if v4 else v["ipv6.nxt"],
            v["udp.srcport"] or v["tcp.srcport"] or "0",
            v["udp.dstport"] or v["tcp.dstport"] or "0",
            v["ip.dsfield.dscp"] if v4 else v["ipv6.tclass.dscp"],
            v["ip.dsfield.ecn"] if v4 else v["ipv6.tclass.ecn"],
            status[v["ip.checksum.status"]] if v4 else "-",
            status[l4],
            v["frame.len"],
            v["tcp.len"] or "0",
            "1" if v["tcp.analysis.retransmission"] or v["tcp.analysis.spurious_retransmission"] else "0",
        ]
        print("\t".join(row))


def rows(path, pred):
    with open(path) as fh:
        for line in fh:
            vals = line.rstrip("\n").split("\t")
            if len(vals) != len(COLS):
                continue
            r = {c: (int(x) if c in INT_COLS and x not in ("", "-") else x) for c, x in zip(COLS, vals)}
            if eval(pred, {}, r):
                yield r


def cmd_count(path, pred, key=None):
    if key is None:
        print(sum(1 for _ in rows(path, pred)))
        return
    counts = {}
    for r in rows(path, pred):
        k = eval(key, {}, r)
        counts[k] = counts.get(k, 0) + 1
    print(" ".join(f"{k}:{counts[k]}" for k in sorted(counts, key=str)) or "-")


def cmd_sum(path, pred, expr):
    print(sum(eval(expr, {}, r) for r in rows(path, pred)))


def cmd_groups(path, key, preds):
    all_rows = list(rows(path, "True"))
    for pred in preds:
        counts = {}
        for r in all_rows:
            if eval(pred, {}, r):
                k = eval(key, {}, r)
                counts[k] = counts.get(k, 0) + 1
        print(" ".join(f"{k}:{counts[k]}" for k in sorted(counts, key=str)) or "-")


def cmd_frames(path, preds):
    all_rows = list(rows(path, "True"))
    for pred in preds:
        sel = [r for r in all_rows if eval(pred, {}, r)]
        print(len(sel), sum(r["len"] for r in sel))


def cmd_tcx(dev):
    """The program ids on the interface's TCX hooks (BPF_PROG_QUERY; bpftool 7.1 cannot show them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    ifindex = socket.if_nametoindex(dev)
    out = []
    for name, attach_type in (("ingress", 46), ("egress", 47)):  # BPF_TCX_INGRESS, BPF_TCX_EGRESS
        ids = (ctypes.c_uint32 * 64)()
        attr = ctypes.create_string_buffer(64)  # union bpf_attr, query part
        struct.pack_into("=IIII", attr, 0, ifindex, attach_type, 0, 0)
        struct.pack_into("=QI", attr, 16, ctypes.addressof(ids), 64)
        if libc.syscall(321, 16, attr, 64) != 0:  # SYS_bpf (x86_64), BPF_PROG_QUERY
            err = ctypes.get_errno()
            # EINVAL: the kernel does not know the attach type (no TCX before
            # Linux 6.6), so no TCX program can be there.
            out.append(f"{name}:[]" if err == 22 else f"{name}:error{err}")
            continue
        cnt = struct.unpack_from("=I", attr, 24)[0]
        out.append(f"{name}:[{','.join(str(ids[i]) for i in range(cnt))}]")
    print("tcx " + " ".join(out))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "json" and args:
        cmd_json(args)
    elif cmd == "pcap" and len(args) == 1:
        cmd_pcap(*args)
    elif cmd == "count" and len(args) in (2, 3):
        cmd_count(*args)
    elif cmd == "sum" and len(args) == 3:
        cmd_sum(*args)
    elif cmd == "groups" and len(args) >= 3:
        cmd_groups(args[0], args[1], args[2:])
    elif cmd == "tcx" and len(args) == 1:
        cmd_tcx(args[0])
    elif cmd == "frames" and len(args) >= 2:
        cmd_frames(args[0], args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
