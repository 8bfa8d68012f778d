#!/usr/bin/env bash
# analyze.sh: `dscpwatch analyze` on a capture of the incident lab gives what
# the live instance gave on the same traffic.
#
#   client -- wan (EF policer) -- gw (dscpwatch live on g-srv + tcpdump on g-srv) -- server
#
#   1. live vs offline: dscpwatch attached on gw's server-facing NIC while
#      tcpdump captures there; clients log in through the EF policer (and, as
#      a second batch, to an unmarked server, which completes). `flows --json`,
#      `diagnose --json` and `stats --json` of the live instance equal `analyze
#      --json` of the capture (--client-net 198.18.0.0/16), every field but
#      times (the hook's clock vs. tcpdump's: microseconds apart) and names.
#   2. --remark zero --write: tshark reads every IP frame of the output with
#      DSCP 0 and a good IPv4 header checksum; the frame count is the input's.
#   3. bad input: a truncated copy (exit 4, the frame number named, the readable
#      frames still analysed), an empty file, a missing file next to a good one.
source "$(dirname "$0")/lib.sh"
dw_need_root
LAB_SUFFIX=$SUFFIX
# shellcheck source=lab/lab.sh
source "$E2E_DIR/../../lab/lab.sh"

_an_exit() {
  local rc=$?
  set +e
  dw "$LAB_GW" detach --all >/dev/null 2>&1
  (exit $rc)
  _lab_on_exit
}
trap _an_exit EXIT

CAP=$WORK/gw.pcap
NET=198.18.0.0/16

lab_up
lab_pki
lab_policer on
dw "$LAB_GW" attach "$LAB_GW_SERVER_IF" >/dev/null
lab_capture_start gw "$LAB_GW_SERVER_IF" "$CAP"

echo "# EF server behind the policer: handshakes stall"
lab_server_start --tls 1.3 --tos 0xb8
lab_clients 3 --timeout 3
expect_eq "policed: no handshake completes" "0 3" "$LAB_OK $LAB_FAILED"
echo "# unmarked server: handshakes complete"
lab_server_start --tls any --tos 0
lab_clients 2 --tls 1.2 --timeout 3
expect_eq "unmarked: every handshake completes" "2 0" "$LAB_OK $LAB_FAILED"
sleep 0.3
lab_capture_stop
dw "$LAB_GW" flows --json --top 0 >"$WORK/live-flows.json"
dw "$LAB_GW" diagnose --json --top 0 >"$WORK/live-diag.json"
dw "$LAB_GW" stats --json >"$WORK/live-stats.json"

# ------------------------------------------------------------ live vs offline
rc=0
"$DW" analyze "$CAP" --client-net "$NET" --json --top 0 >"$WORK/an.json" 2>"$WORK/an.err" || rc=$?
expect_eq "analyze: exit 0 on a clean capture" 0 "$rc"

# compare LIVE_FLOWS LIVE_DIAG LIVE_STATS ANALYZE: the facts that must agree, one per line.
compare() {
  $PY - "$@" <<'PYEOF'
import json, sys
flows, diag, stats, an = (json.load(open(p)) for p in sys.argv[1:5])
TIME = {"age_ns", "idle_ns", "first_ns", "last_ns", "age", "idle", "time", "updated_ns", "now_ns"}
NAME = {"first_interface", "last_interface", "interface", "first_ifindex", "last_ifindex", "ifindex", "capacity"}
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in TIME and k not in NAME and not k.endswith(("_ns", "_us", "_ms"))}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
def key(f):
    return json.dumps(f, sort_keys=True)
def same(what, a, b):
    a, b = sorted(map(key, strip(a))), sorted(map(key, strip(b)))
    print(f"{what}: {'same' if a == b else 'DIFFERENT'} ({len(a)} live, {len(b)} offline)")
    if a != b:
        for x in sorted(set(a) - set(b))[:3]: print("   live only:    " + x[:600])
        for x in sorted(set(b) - set(a))[:3]: print("   offline only: " + x[:600])
same("flows", flows["flows"], an["flows"]["flows"])
same("handshake verdicts", diag["flows"], an["diagnose"]["flows"])
same("server verdicts", diag["servers"], an["diagnose"]["servers"])
rows = lambda s: [{k: r.get(k) for k in ("direction", "dscp", "class", "packets", "bytes")} for r in s["interfaces"]]
same("per-DSCP counters", rows(stats), rows(an["stats"]))
PYEOF
}
cmp_out=$(compare "$WORK/live-flows.json" "$WORK/live-diag.json" "$WORK/live-stats.json" "$WORK/an.json" 2>&1) || true
echo "$cmp_out" | sed 's/^/# /'
for what in "flows" "handshake verdicts" "server verdicts" "per-DSCP counters"; do
  expect_match "offline $what equal the live instance's" "^$what: same \([1-9][0-9]* live" \
    "$(grep "^$what:" <<<"$cmp_out" || echo "$what: missing")"
done
blame=$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["diagnose"]["servers"]; print(" ".join("%s:%s" % (x["server"], x.get("blamed_dscp")) for x in s if x.get("blames_dscp")))' "$WORK/an.json")
expect_eq "offline: EF blamed for the policed server" "$LAB_SERVER_ADDR:443:46" "$blame"
text=$("$DW" analyze "$CAP" --client-net "$NET" --view diagnose 2>&1)
expect_match "text output names the capture and the direction split" "capture $CAP: pcap, EN10MB.*direction: source in client net $NET" "$(tr '\n' ' ' <<<"$text")"

# ------------------------------------------------------------ --remark zero --write
OUT=$WORK/remarked.pcap
rc=0
"$DW" analyze "$CAP" --client-net "$NET" --remark zero --write "$OUT" --view none >/dev/null 2>"$WORK/w.err" || rc=$?
expect_eq "--write: exit 0" 0 "$rc"
in_ef=$(tshark -r "$CAP" -Y 'ip.dsfield.dscp == 46' 2>/dev/null | wc -l)
check "the capture had EF frames to remark ($in_ef)" [ "$in_ef" -gt 0 ]
expect_eq "--write: as many frames as the capture" "$(tshark -r "$CAP" 2>/dev/null | wc -l)" "$(tshark -r "$OUT" 2>/dev/null | wc -l)"
summary=$(tshark -r "$OUT" -o ip.check_checksum:TRUE -Y ip -T fields -e ip.dsfield.dscp -e ip.checksum.status 2>/dev/null | sort | uniq -c | awk '{print $2 "/" $3}' | tr '\n' ' ')
expect_eq "--write: every IPv4 frame has DSCP 0 and a good header checksum (dscp/status, 1 = good)" "0/1 " "$summary"
# TCP checksums do not cover the DSCP: they stay what the capture had (frames
# tcpdump took on egress before the NIC's checksum offload filled them in stay "bad").
tcp_bad() { tshark -r "$1" -o tcp.check_checksum:TRUE -T fields -e frame.number -Y 'tcp.checksum.status == 0' 2>/dev/null | md5sum; }
expect_eq "--write: the TCP checksums are the capture's" "$(tcp_bad "$CAP")" "$(tcp_bad "$OUT")"

# ------------------------------------------------------------ bad input
size=$(stat -c %s "$CAP")
head -c $((size - 10)) "$CAP" >"$WORK/cut.pcap"  # inside the last record
frames=$(tshark -r "$CAP" 2>/dev/null | wc -l)
rc=0
"$DW" analyze "$WORK/cut.pcap" --client-net "$NET" --json >"$WORK/cut.json" 2>"$WORK/cut.err" || rc=$?
expect_eq "truncated capture: exit 4 (analysed, not every frame read)" 4 "$rc"
expect_match "truncated capture: the warning names the last frame" "cut.pcap: frame $frames: the file ends inside this frame's record" "$(cat "$WORK/cut.err")"
expect_eq "truncated capture: the frames before it are analysed" $((frames - 1)) \
  "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"]["files"][0]["classified"])' "$WORK/cut.json")"
: >"$WORK/empty.pcap"
expect_error "empty file" "empty.pcap is empty \(0 bytes\)" "check that the capture was written" "$DW" analyze "$WORK/empty.pcap"
rc=0
"$DW" analyze "$WORK/missing.pcap" "$CAP" --client-net "$NET" --view stats >"$WORK/two.out" 2>"$WORK/two.err" || rc=$?
expect_eq "a missing file next to a good one: exit 4" 4 "$rc"
expect_match "a missing file next to a good one: named, the other analysed" "missing.pcap.*No such file" "$(cat "$WORK/two.err")"
expect_match "a missing file next to a good one: stats printed" "check: per-DSCP sum [0-9]+ = frames" "$(cat "$WORK/two.out")"

dw_done
