#!/usr/bin/env python3
"""tshark's view of a capture's TLS handshakes against dscpwatch's (diagnose --json).

  tshark_agree.py PCAP DIAGNOSE_JSON

PCAP must be taken where dscpwatch follows both sides (the lab's gw, g-srv:
server packets on ingress, client packets on egress); DIAGNOSE_JSON is
`diagnose --json --top 0` of an instance that saw exactly those handshakes.

tshark reads the capture three times:
  1. default preferences: per packet, the TCP analysis flags
     (tcp.analysis.retransmission, .fast_retransmission, .spurious_retransmission,
     .out_of_order), sequence numbers, lengths, DSCP;
  2. -o tcp.analyze_sequence_numbers:FALSE, no TCP or TLS reassembly: every
     segment, retransmitted or not, dissected on its own, so the first record
     tshark finds is the record that starts the segment (-T json, the first
     tls.record: tls.record.content_type, or tls.record.opaque_type for TLS 1.3's
     encrypted records, and its tls.handshake.type; none for an encrypted
     handshake message);
  3. -o tcp.analyze_sequence_numbers:FALSE with reassembly: every handshake
     message of each side, in order (first occurrence per message type).

From tshark's labels alone, per flow and side, the script derives what
dscpwatch must report, using dscpwatch's documented rules (include/dscpwatch/abi.h,
bpf/handshake.h header comment) only to name things:
  - history letters: one per non-retransmitted data segment that starts with
    a TLS record (H/h hello, X/x certificate, K/k key exchange, O/o hello done,
    N/n session ticket, G/g change cipher spec, E/e encrypted handshake, L/l alert;
    client upper case), and one T/t per stage in which the side retransmitted;
  - stages: a side's new flight starts with its first new data after the peer
    sent new data; the record at its start names it (client: ClientHello ->
    client_hello, else client_finished, then established; server: a hello-flight
    message -> server_hello, then server_finished unless application data, then
    established). A retransmission belongs to the stage whose sequence range
    holds it. Per stage: segments, retransmissions, DSCP values, largest IP length;
  - the tracking window: dscpwatch stops DW_HS_TAIL (8) packets after both sides
    are established; later packets are not compared.
A packet is a retransmission for tshark when pass 1 flags it retransmission,
fast_retransmission or spurious_retransmission, or out_of_order while the
capture already holds some of its bytes from the same sender: tshark calls any
segment below the highest sequence seen "out of order" when it comes within
3 ms of the previous one, which is what a RACK/SACK-driven retransmission right
after the tail of a flight looks like (it is a retransmission: same bytes, sent again).

Segments of both sides that cross the gateway at the same moment (captured
within 2 ms, neither acknowledging the other's data) may reach the classifier's
hooks (XDP ingress, tc egress, on different CPUs) in the other order than
tcpdump's; when dscpwatch's stage table equals the one of such a swapped order,
that order is the reference for the flow (the output says so).

Output, one line per aspect (tab-separated): ASPECT, tshark's value, dscpwatch's
value (the two must be equal), each "CLIENT-PORT:VALUE" for all flows, joined
by " ; ". Lines starting with "#" are information.
"""
import json
import subprocess
import sys
from collections import defaultdict

TAIL = 8  # DW_HS_TAIL
ST_ORDER = ["syn", "synack", "ack", "client_hello", "server_hello", "client_finished", "server_finished",
            "established"]
RANK = {s: i for i, s in enumerate(ST_ORDER)}
CLIENT, SERVER = 0, 1
HS_LETTER = {1: "H", 2: "H", 11: "X", 12: "K", 16: "K", 14: "O", 4: "N"}
REC_LETTERS = set("HVXKONGEL")


def tshark(pcap, prefs, fields, occurrence="f"):
    args = ["tshark", "-n", "-r", pcap, "-Y", "tcp"]
    for p in prefs:
        args += ["-o", p]
    args += ["-T", "fields", "-E", "separator=\t", "-E", f"occurrence={occurrence}", "-E", "aggregator=,"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [dict(zip(fields, line.split("\t"))) for line in out.splitlines()]


def tshark_tls_tree(pcap, prefs):
    """(frame number, the frame's "tls" layer) for every frame with TLS, from -T json."""
    args = ["tshark", "-n", "-r", pcap, "-Y", "tls"]
    for p in prefs:
        args += ["-o", p]
    args += ["-T", "json", "--no-duplicate-keys", "-J", "frame tls"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    for pkt in json.loads(out or "[]"):
        layers = pkt["_source"]["layers"]
        yield int(layers["frame"]["frame.number"]), layers.get("tls")


def first(x):
    return x[0] if isinstance(x, list) and x else x


def first_record(tls):
    """(content type, handshake type) of the first record tshark dissected in a
    segment of its own: content type, or opaque type for TLS 1.3's encrypted
    records; handshake type None when tshark cannot read it (encrypted).
    (None, None) when the segment does not start with a record."""
    tls = first(tls)
    if not isinstance(tls, dict):
        return (None, None)  # "Continuation Data" and the like
    r = first(tls.get("tls.record"))
    if not isinstance(r, dict):
        return (None, None)
    ctype = num(r.get("tls.record.content_type") or r.get("tls.record.opaque_type"), None)
    hs = first(r.get("tls.handshake"))
    hst = num(hs.get("tls.handshake.type"), None) if isinstance(hs, dict) else None
    return (ctype, hst)


def num(s, default=0):
    return int(s, 0) if s else default


def load(pcap):
    f1 = ["frame.number", "frame.time_epoch", "tcp.ack_raw", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport", "tcp.flags",
          "tcp.seq_raw", "tcp.len", "ip.len", "ipv6.plen", "ip.dsfield.dscp", "ipv6.tclass.dscp",
          "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
          "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order"]
    pkts = []
    for r in tshark(pcap, [], f1):
        v6 = not r["ip.src"]
        flags = {k: bool(r[f"tcp.analysis.{k}"]) for k in
                 ("retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order")}
        pkts.append({
            "no": int(r["frame.number"]), "stream": int(r["tcp.stream"]),
            "t": float(r["frame.time_epoch"] or 0), "ack": num(r["tcp.ack_raw"]),
            "src": r["ipv6.src"] if v6 else r["ip.src"], "sport": int(r["tcp.srcport"]),
            "dport": int(r["tcp.dstport"]), "flags": num(r["tcp.flags"]), "seq": num(r["tcp.seq_raw"]),
            "len": num(r["tcp.len"]), "iplen": num(r["ipv6.plen"]) + 40 if v6 else num(r["ip.len"]),
            "dscp": num(r["ipv6.tclass.dscp"] if v6 else r["ip.dsfield.dscp"]), "ta": flags,
            # out_of_order alone is decided in reference(): a retransmission when it repeats captured data
            "retrans": flags["retransmission"] or flags["fast_retransmission"] or flags["spurious_retransmission"],
        })
    # Pass 2: the record at the start of every segment, each dissected on its own.
    p2 = ["tcp.analyze_sequence_numbers:FALSE", "tcp.desegment_tcp_streams:FALSE", "tls.desegment_ssl_records:FALSE"]
    rec = {}
    for no, tls in tshark_tls_tree(pcap, p2):
        rec[no] = first_record(tls)
    # Pass 3: every handshake message, reassembled, in order.
    msgs = {}
    for r in tshark(pcap, ["tcp.analyze_sequence_numbers:FALSE"], ["frame.number", "tls.handshake.type"], "a"):
        if r["tls.handshake.type"]:
            msgs[int(r["frame.number"])] = [int(x) for x in r["tls.handshake.type"].split(",")]
    for p in pkts:
        p["rec"] = rec.get(p["no"], (None, None))
        p["msgs"] = msgs.get(p["no"], [])
    return pkts


def letter(side, rec):
    """The history letter of the record at a segment start (None: no letter)."""
    ctype, hst = rec
    up = None
    if ctype == 22:
        up = HS_LETTER.get(hst) if hst is not None else "E"
    elif ctype == 20:
        up = "G"
    elif ctype == 21:
        up = "L"
    if up is None:
        return None
    return up if side == CLIENT else up.lower()


def reference(pkts):
    """What dscpwatch should say about one TCP connection, from tshark's labels."""
    syn = next((p for p in pkts if p["flags"] & 0x12 == 0x02), None)
    if syn is None:
        return None
    cli = (syn["src"], syn["sport"])
    side_st = [dict(isn=None, cur=None, starts={}, peer_spoke=False, letters=[], msgs=[], retrans=0,
                    est_retrans=0, sent=[], rt_stages=set())
               for _ in (0, 1)]
    stages = defaultdict(lambda: {"segments": 0, "retransmissions": 0, "dscp": set(), "max_len": 0})
    after = 0
    tracked = 0
    ack_done = False
    synack_seen = False
    ooo_repeats = [0]

    def add(st, p, retrans):
        s = stages[st]
        s["segments"] += 1
        s["dscp"].add(p["dscp"])
        s["max_len"] = max(s["max_len"], p["iplen"])
        if retrans:
            s["retransmissions"] += 1

    def stage_at(sd, rel):
        best = None
        for st, start in sd["starts"].items():
            if (rel - start) % 2**32 < 2**31 and (best is None or RANK[st] > RANK[best]):
                best = st
        return best or sd["cur"]

    for p in pkts:
        if after >= TAIL:
            break
        tracked += 1
        side = CLIENT if (p["src"], p["sport"]) == cli else SERVER
        sd, peer = side_st[side], side_st[side ^ 1]
        fl = p["flags"]
        if fl & 0x02:  # SYN / SYN-ACK
            st = "syn" if side == CLIENT else "synack"
            if sd["isn"] is None:
                sd["isn"] = p["seq"]
                sd["cur"] = st
                sd["starts"][st] = 0
            if side == SERVER:
                synack_seen = True
            add(st, p, p["retrans"])
            if p["retrans"]:
                sd["rt_stages"].add(st)
        elif side == CLIENT and fl & 0x10 and not ack_done and synack_seen and p["len"] == 0 and not fl & 0x05:
            ack_done = True
            sd["cur"] = "ack"
            add("ack", p, False)
        if p["len"] and not fl & 0x02 and sd["isn"] is not None:
            rel = (p["seq"] - sd["isn"]) % 2**32
            retrans = p["retrans"]
            if not retrans and p["ta"]["out_of_order"] and any(a < rel + p["len"] and rel < b for a, b in sd["sent"]):
                # tshark calls a segment that comes within 3 ms of the previous one "out of
                # order"; this capture holds its bytes already: the sender sent them again.
                retrans = True
                ooo_repeats[0] += 1
            sd["sent"].append((rel, rel + p["len"]))
            if retrans:
                st = stage_at(sd, rel)
                add(st, p, True)
                sd["rt_stages"].add(st)
                sd["retrans"] += 1
                sd["est_retrans"] += st == "established"
            else:
                ctype, hst = p["rec"]
                if sd["peer_spoke"] or RANK.get(sd["cur"], -1) < RANK["client_hello"]:
                    st = new_flight(side, sd["cur"], ctype, hst)
                    if st != sd["cur"]:
                        sd["cur"] = st
                        sd["starts"][st] = rel
                    sd["peer_spoke"] = False
                l = letter(side, p["rec"])
                if l:
                    sd["letters"].append(l)
                add(sd["cur"], p, False)
                peer["peer_spoke"] = True
        for m in p["msgs"]:
            if m not in sd["msgs"]:
                sd["msgs"].append(m)
        if side_st[0]["cur"] == "established" and side_st[1]["cur"] == "established":
            after += 1
    return {"client": cli, "sides": side_st, "stages": stages, "tracked": tracked, "pkts": pkts,
            "done": after >= TAIL, "ooo_repeats": ooo_repeats[0]}


def new_flight(side, cur, ctype, hst):
    """The stage of a side's new flight, named by the record at its start (abi.h: enum dw_stage)."""
    r = RANK.get(cur, -1)
    if ctype is None:  # no record at the start: mid-record, or not TLS
        return cur if r >= RANK["client_hello"] else "established"
    if ctype == 21:  # an alert starts no flight
        return cur
    if side == CLIENT:
        if ctype == 22 and hst == 1:
            return "client_hello"
        return "client_finished" if r < RANK["client_finished"] else "established"
    if ctype == 22 and hst in (2, 11, 12, 14) and r < RANK["server_hello"]:
        return "server_hello"
    if r < RANK["server_hello"]:
        return "established"
    if cur == "server_hello" and ctype != 23:
        return "server_finished"
    return "established"


def dw_side_letters(history, side):
    return "".join(c for c in history if c.upper() in REC_LETTERS and (c.isupper() == (side == CLIENT)))


def stage_table(stages):
    """Per stage: segments/retransmissions/DSCP/largest IP length, one string."""
    return ",".join(f"{n}={s['segments']}/{s['retransmissions']}/{'+'.join(map(str, sorted(s['dscp'])))}/{s['max_len']}"
                    for n, s in sorted(stages.items(), key=lambda x: RANK[x[0]]))


def concurrent(a, b):
    """Two data segments of opposite sides, captured within 2 ms, neither of which
    acknowledges the other's data: they crossed the gateway at the same time, and
    the classifier (XDP ingress and tc egress, on different CPUs) may have seen
    them in the other order than tcpdump did."""
    def acks(x, y):
        return (x["ack"] - (y["seq"] + y["len"])) % 2**32 < 2**31
    return ((a["src"], a["sport"]) != (b["src"], b["sport"]) and a["len"] and b["len"]
            and abs(b["t"] - a["t"]) < 0.002 and not acks(a, b) and not acks(b, a))


def orders(pkts, most=4):
    """The capture's order, then the orders with concurrent neighbours swapped
    (every combination of the first `most` such pairs)."""
    pairs = [i for i in range(len(pkts) - 1) if concurrent(pkts[i], pkts[i + 1])][:most]
    out = []
    for mask in range(1 << len(pairs)):
        v = list(pkts)
        for bit, i in enumerate(pairs):
            if mask >> bit & 1:
                v[i], v[i + 1] = v[i + 1], v[i]
        out.append((mask, [pkts[i]["no"] for i in pairs], v))
    return out


def main():
    pcap, diag = sys.argv[1], sys.argv[2]
    d = json.load(open(diag))
    pkts = load(pcap)
    streams = defaultdict(list)
    for p in pkts:
        streams[p["stream"]].append(p)
    ref = {}
    for s in streams.values():
        cands = [(mask, nos, reference(v)) for mask, nos, v in orders(s)]
        cands = [c for c in cands if c[2]]
        if cands:
            ref[cands[0][2]["client"]] = cands
    dwf = {(f["client"], f["client_port"]): f for f in d["flows"]}
    keys = sorted(set(ref) | set(dwf), key=lambda k: (k[0], k[1]))
    out = defaultdict(lambda: [[], []])

    def emit(aspect, key, t, w):
        out[aspect][0].append(f"{key[1]}:{t}")
        out[aspect][1].append(f"{key[1]}:{w}")

    ooo_total = 0
    total = dict.fromkeys(("retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order"), 0)
    for k in keys:
        cands, f = ref.get(k), dwf.get(k)
        emit("flow seen", k, "yes" if cands else "no", "yes" if f else "no")
        if not cands or not f:
            continue
        # The capture's order, unless dscpwatch's stage table equals the one of an
        # order in which concurrent neighbours are swapped (see concurrent()).
        r = cands[0][2]
        dw_table = stage_table(f["stages"])
        if stage_table(r["stages"]) != dw_table:
            for mask, nos, alt in cands[1:]:
                if stage_table(alt["stages"]) == dw_table:
                    r = alt
                    print(f"# {k[0]}:{k[1]}: concurrent segments (frames {nos}, swap mask {mask}) taken in the order the classifier saw")
                    break
        cs, ss = r["sides"]
        hist = f["history"]
        emit("client record letters", k, "".join(cs["letters"]), dw_side_letters(hist, CLIENT))
        emit("server record letters", k, "".join(ss["letters"]), dw_side_letters(hist, SERVER))
        # The brief's view: cleartext handshake types, first occurrence per side, reassembled (pass 3);
        # dscpwatch's cleartext handshake letters must come in that order.
        for side, sd, name in ((CLIENT, cs, "client"), (SERVER, ss, "server")):
            full = "".join(HS_LETTER.get(m, "?") for m in sd["msgs"])
            mine = "".join(c.upper() for c in dw_side_letters(hist, side) if c.upper() in "HVXKON")
            it = iter(full)
            ok = all(c in it for c in mine)
            emit(f"{name} handshake letters in tshark's message order", k, "yes", "yes" if ok else f"no({mine} vs {full})")
        # T/t: a side's first retransmission in each stage.
        emit("stages with retransmissions per side (history T/t)", k,
             f"{len(cs['rt_stages'])} {len(ss['rt_stages'])}", f"{hist.count('T')} {hist.count('t')}")
        emit("history complete (no '+')", k, "yes", "no" if "+" in hist else "yes")
        # Retransmitted data segments per side. dscpwatch's established stage is shared by both sides:
        # its retransmissions are left out of the split and compared in the stage table.
        dst = f["stages"]

        def dw_sum(names):
            return sum(dst.get(n, {}).get("retransmissions", 0) for n in names)

        emit("retransmitted data segments (client server established)", k,
             f"{cs['retrans'] - cs['est_retrans']} {ss['retrans'] - ss['est_retrans']} "
             f"{cs['est_retrans'] + ss['est_retrans']}",
             f"{dw_sum(['client_hello', 'client_finished'])} {dw_sum(['server_hello', 'server_finished'])} "
             f"{dw_sum(['established'])}")
        # Per stage: segments/retransmissions/DSCP/largest IP length.
        emit("stages (segments/retransmissions/dscp/max_len)", k, stage_table(r["stages"]), dw_table)
        for p in r["pkts"]:
            for fl, v in p["ta"].items():
                total[fl] += v
        ooo_total += r["ooo_repeats"]
        print(f"# {k[0]}:{k[1]}: history {hist}; tshark packets {len(r['pkts'])}, in dscpwatch's window "
              f"{r['tracked']}{' (tracking stopped)' if r['done'] else ''}; verdict {f['verdict']}")
    print("# tshark analysis flags over all packets: " + ", ".join(f"{n} {v}" for n, v in total.items()) +
          f"; out_of_order segments that repeat captured data (counted as retransmissions): {ooo_total}")
    for aspect, (t, w) in out.items():
        print(f"{aspect}\t{' ; '.join(t)}\t{' ; '.join(w)}")


if __name__ == "__main__":
    main()
