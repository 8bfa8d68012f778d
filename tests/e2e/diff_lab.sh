#!/usr/bin/env bash
# diff_lab.sh: `dscpwatch diff` on captures taken in the incident lab at two
# points, with the WAN router's nftables counters as the truth.
#
#   client (B: tcpdump on c-wan) -- wan (policer, remark, forged RST) -- gw (A: tcpdump on g-wan) -- server
#
# A is upstream of B for the server's packets, B upstream of A for the
# client's. Cases:
#   policer   EF server, WAN drops EF > 700 B: the server -> client segments
#             seen at A and never at B are exactly the policer's drop count,
#             all EF and larger than 700 B; nothing else is lost; exit 3
#   tos 0     unmarked server, policer on: nothing lost, nothing differs; exit 0
#   remark    the WAN rewrites EF to AF11 (policer off): the remarked count is
#             the rule's counter, every one 46 -> 10; nothing lost
#   forged    the WAN drops each ClientHello and answers with a forged RST from
#             the server: the lost client -> server segments and the RSTs that
#             appeared at B both equal the rule's counter
#   IPv6      the policer on the traffic class: lost = the IPv6 rule's counter
#   bad input missing file, corrupt file, same file twice, no common flow
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"

N=4 # clients per case

# capture CASE CLIENT-ARGS...: captures at A (gw g-wan) and B (client c-wan)
# while N clients run; waits until both captures are quiet, stops them and
# checks that tcpdump lost nothing.
capture() {
  local name=$1
  shift
  A=$WORK/$name-a.pcap B=$WORK/$name-b.pcap
  lab_capture_start gw "$LAB_GW_CLIENT_IF" "$A" tcp port 443
  lab_capture_start client "$LAB_CLIENT_IF" "$B" tcp port 443
  lab_clients $N "$@"
  lab_capture_quiet "$A"
  lab_capture_quiet "$B"
  lab_capture_stop
  local f
  for f in "$A" "$B"; do
    expect_eq "$name: tcpdump dropped nothing ($(basename "$f"))" 1 "$(grep -c '^0 packets dropped by kernel' "$f.tcpdump.err")"
  done
}

# diffj CASE: dscpwatch diff --json A B into $WORK/CASE.json, its exit code in RC,
# and the facts (key=value) into the array F.
declare -A F
diffj() {
  RC=0
  "$DW" diff --json --list 0 "$A" "$B" >"$WORK/$1.json" 2>"$WORK/$1.err" || RC=$?
  F=()
  local k v
  while IFS='=' read -r k v; do F[$k]=$v; done < <(facts "$WORK/$1.json")
}

facts() {
  $PY - "$1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
t = j["totals"]
fl = j["flows"]
s2c = [f["server_to_client"] for f in fl]
c2s = [f["client_to_server"] for f in fl]
lost_s2c = [seg for d in s2c for seg in d["lost_segments"]]
def uniq(xs):
    return " ".join(sorted(set(str(x) for x in xs))) or "none"
by = j["loss_by_dscp"]
out = {
    "flows": len(fl),
    "one_sided": len(j["one_sided"]),
    "client_at": uniq(f["client_at"] for f in fl),
    "orientation": uniq(f["orientation"] for f in fl),
    "s2c_upstream": uniq(d["upstream"] for d in s2c),
    "lost": t["lost"],
    "appeared": t["appeared"],
    "remarked": t["remarked"],
    "outside": t["outside"],
    "lost_s2c": sum(d["lost"] for d in s2c),
    "lost_c2s": sum(d["lost"] for d in c2s),
    "appeared_s2c": sum(d["appeared"] for d in s2c),
    "appeared_c2s": sum(d["appeared"] for d in c2s),
    "lost_dscp": uniq(s["dscp"] for s in lost_s2c),
    "lost_min_len": min((s["ip_len"] for s in lost_s2c), default=0),
    "lost_stages": uniq(s["stage"] for s in lost_s2c),
    "lost_cs0": by.get("0", {}).get("lost", 0),
    "sent_cs0": by.get("0", {}).get("sent", 0),
    "ef_small_lost": sum(c["lost"] for k, c in j["loss_by_dscp_size"].get("46", {}).items()
                         if k in ("<=128", "129-576", "577-700")),
    "ef_small_sent": sum(c["sent"] for k, c in j["loss_by_dscp_size"].get("46", {}).items()
                         if k in ("<=128", "129-576", "577-700")),
    "remarks": uniq(f'{r["from"]}->{r["to"]}' for r in j["remarked"]),
    "appeared_flags": uniq(s["flags"] for d in s2c for s in d["appeared_segments"]),
    "lost_c2s_stages": uniq(s["stage"] for d in c2s for s in d["lost_segments"]),
    "delay_known": "yes" if j["clock"]["delay_s"] is not None else "no",
}
for k, v in out.items():
    print(f"{k}={v}")
EOF
}

gt0() { [ "$1" -gt 0 ]; }

lab_up --v6
lab_pki

# ------------------------------------------------------------------ policer
echo "# policer: EF server, WAN drops EF > 700 B"
lab_server_start --tls any --tos 0xb8
lab_policer on
capture policer --timeout 4
drops=$(lab_policer_drops v4)
check "policer: the policer dropped packets" gt0 "$drops"
diffj policer
expect_eq "policer: exit status 3 (differences)" 3 "$RC"
expect_eq "policer: every flow in both captures" "$N 0" "${F[flows]} ${F[one_sided]}"
expect_eq "policer: the client sits at B, found by TTL" "B TTL" "${F[client_at]} ${F[orientation]}"
expect_eq "policer: server -> client runs A -> B" A "${F[s2c_upstream]}"
expect_eq "policer: server segments seen at A, never at B = the policer's drop counter" "$drops" "${F[lost_s2c]}"
expect_eq "policer: nothing else lost (total lost)" "$drops" "${F[lost]}"
expect_eq "policer: no client segment lost" 0 "${F[lost_c2s]}"
expect_eq "policer: every lost segment was EF" 46 "${F[lost_dscp]}"
check "policer: every lost segment larger than 700 B (smallest ${F[lost_min_len]})" test "${F[lost_min_len]}" -gt 700
expect_eq "policer: no CS0 segment lost (of ${F[sent_cs0]})" 0 "${F[lost_cs0]}"
check "policer: small EF segments crossed (${F[ef_small_sent]} sent)" gt0 "${F[ef_small_sent]}"
expect_eq "policer: no small EF segment lost" 0 "${F[ef_small_lost]}"
expect_eq "policer: the lost segments were in the ServerHello flight" server_hello "${F[lost_stages]}"
expect_eq "policer: nothing appeared or was remarked" "0 0" "${F[appeared]} ${F[remarked]}"
expect_eq "policer: nothing outside the capture windows" 0 "${F[outside]}"
expect_eq "policer: clock offset and delay estimated" yes "${F[delay_known]}"
"$DW" diff "$A" "$B" >"$WORK/policer.txt" || true
check "policer: the text names the lost EF segments" grep -q "ServerHello flight: .* lost (46 (EF)" "$WORK/policer.txt"
POLICER_A=$A POLICER_B=$B

# ------------------------------------------------------------------ TOS 0
echo "# server TOS 0, policer on"
lab_server_start --tls any --tos 0
lab_policer on
capture tos0 --timeout 4
expect_eq "tos 0: every client completed" "$N" "$LAB_OK"
diffj tos0
expect_eq "tos 0: exit status 0 (no difference)" 0 "$RC"
expect_eq "tos 0: the policer dropped nothing" 0 "$(lab_policer_drops)"
expect_eq "tos 0: nothing lost, appeared or remarked" "0 0 0" "${F[lost]} ${F[appeared]} ${F[remarked]}"
expect_eq "tos 0: flows" "$N" "${F[flows]}"
TOS0_A=$A

# ------------------------------------------------------------------ remark on the path
echo "# the WAN remarks EF to AF11, policer off"
lab_server_start --tls any --tos 0xb8
lab_policer off
lab_wan_remark on --from 46 --to 10
capture remark --timeout 4
remarked=$(lab_wan_remarked)
lab_wan_remark off
check "remark: the WAN rule remarked packets" gt0 "$remarked"
diffj remark
expect_eq "remark: exit status 3" 3 "$RC"
expect_eq "remark: remarked segments = the rule's counter" "$remarked" "${F[remarked]}"
expect_eq "remark: every one 46 -> 10" "46->10" "${F[remarks]}"
expect_eq "remark: nothing lost or appeared" "0 0" "${F[lost]} ${F[appeared]}"

# ------------------------------------------------------------------ forged RST
echo "# the WAN drops the ClientHello and forges a RST from the server"
lab_forge_reset on
capture forged --timeout 4
forged=$(lab_forged_resets)
lab_forge_reset off
expect_eq "forged: every client failed" "$N" "$LAB_FAILED"
check "forged: the rule forged resets" gt0 "$forged"
diffj forged
expect_eq "forged: exit status 3" 3 "$RC"
expect_eq "forged: client segments seen at B, never at A = the rule's counter" "$forged" "${F[lost_c2s]}"
expect_eq "forged: they were the ClientHellos" client_hello "${F[lost_c2s_stages]}"
expect_eq "forged: RSTs that appeared at B = the rule's counter" "$forged" "${F[appeared_s2c]}"
expect_eq "forged: the forged segments are RSTs" RST "${F[appeared_flags]}"
expect_eq "forged: nothing appeared at A, no server segment lost" "0 0" "${F[appeared_c2s]} ${F[lost_s2c]}"

# ------------------------------------------------------------------ IPv6
echo "# IPv6: EF server, WAN drops EF > 700 B"
lab_server_stop --all
lab_server_start --tos 0xb8 --v6
lab_policer on
capture policer-v6 --v6 --timeout 4
drops6=$(lab_policer_drops v6)
check "IPv6: the policer dropped packets" gt0 "$drops6"
diffj policer-v6
expect_eq "IPv6: exit status 3" 3 "$RC"
expect_eq "IPv6: flows, client at B by TTL (hop limit)" "$N B TTL" "${F[flows]} ${F[client_at]} ${F[orientation]}"
expect_eq "IPv6: server segments seen at A, never at B = the IPv6 rule's counter" "$drops6" "${F[lost_s2c]}"
expect_eq "IPv6: nothing else lost" "$drops6" "${F[lost]}"
expect_eq "IPv6: every lost segment EF, in the ServerHello flight" "46 server_hello" "${F[lost_dscp]} ${F[lost_stages]}"

# ------------------------------------------------------------------ bad input
echo "# bad input"
expect_error "missing file" "nope.pcap" "." "$DW" diff "$WORK/nope.pcap" "$POLICER_B"
printf 'this is not a capture, only text\n' >"$WORK/text.pcap"
expect_error "not a capture" "text.pcap" "." "$DW" diff "$POLICER_A" "$WORK/text.pcap"
expect_error "same file twice" "same file" "two points" "$DW" diff "$POLICER_A" "$POLICER_A"
cp "$POLICER_A" "$WORK/copy.pcap"
expect_error "a copy of the same capture" "one capture given twice" "two points" "$DW" diff "$POLICER_A" "$WORK/copy.pcap"
expect_error "no common flow" "no TCP flow is in both captures" "same traffic" "$DW" diff "$POLICER_A" "$TOS0_A"
# A capture cut inside a record: a warning names the frame, the rest is compared.
size=$(stat -c %s "$POLICER_B")
head -c $((size - 100)) "$POLICER_B" >"$WORK/cut.pcap"
rc=0
"$DW" diff "$POLICER_A" "$WORK/cut.pcap" >"$WORK/cut.out" 2>"$WORK/cut.err" || rc=$?
expect_eq "cut capture: still compared (exit 3)" 3 "$rc"
check "cut capture: a warning names the frame: $(head -n1 "$WORK/cut.err")" grep -q "warning: .*cut.pcap: frame [0-9]*" "$WORK/cut.err"

dw_done
