#!/usr/bin/env bash
# counters.sh: real traffic with known DSCP values, counted exactly.
#
# a0 (198.18.0.1, 2001:db8::1) <-> b0 (198.18.0.2, 2001:db8::2); dscpwatch on
# the receiver's b0, first with the default hooks (XDP in, tc out), then (after
# detach and reset) with --hook tc. Each kind of traffic has its own DSCP, so nothing else can add to
# its counters:
#   UDP  IPv4 AF21 (18)   IPv6 AF22 (20)   exact counts: N datagrams in, none out
#   TCP  IPv4 AF31 (26)   IPv6 AF32 (28)   compared with a tcpdump capture on b0
#   ICMP IPv4 CS5  (40)   IPv6 EF   (46)   N echo requests in, N replies out
source "$(dirname "$0")/lib.sh"
dw_need_root
dw_pair

UDP_N=25
PING_N=10
TCP_BYTES=60000

# run LABEL PORTBASE ATTACH-ARGS...
run() {
  local label="$1" base="$2"
  shift 2
  echo "# run: $label (attach b0 $*)"
  dw "$NS_B" attach b0 "$@" >/dev/null
  check "$label: counters and flows start empty" test "$(dw "$NS_B" stats --json | dwj 'j["counters"]["frames"]') $(dw "$NS_B" flows --json | dwj 'j["total"]')" = "0 0"
  local cap="$WORK/$label.pcap" out="$WORK/$label"
  dw_capture "$NS_B" b0 "$cap"

  # UDP, IPv4 and IPv6.
  local p4=$((base + 1)) p6=$((base + 2)) s4=$((base + 101)) s6=$((base + 102))
  dw_udp_recv "$NS_B" "$out-u4" --bind 198.18.0.2 --port $p4 --expect $UDP_N --timeout 5
  local r4=$RECV_PID
  dw_udp_recv "$NS_B" "$out-u6" --bind 2001:db8::2 --port $p6 --expect $UDP_N --timeout 5
  local r6=$RECV_PID
  ip netns exec "$NS_A" $TRAFFIC udp-send --dst 198.18.0.2 --port $p4 --sport $s4 --tos 0x48 --count $UDP_N >/dev/null
  ip netns exec "$NS_A" $TRAFFIC udp-send --dst 2001:db8::2 --port $p6 --sport $s6 --tos 0x50 --count $UDP_N >/dev/null
  dw_reap $r4
  dw_reap $r6
  expect_eq "$label: UDPv4 datagrams arrived intact: received bad" "$UDP_N 0" "$(dwj 'row(j["received"], j["bad"])' <"$out-u4")"
  expect_eq "$label: UDPv6 datagrams arrived intact: received bad" "$UDP_N 0" "$(dwj 'row(j["received"], j["bad"])' <"$out-u6")"

  # TCP, IPv4 and IPv6: both ends mark the connection.
  local t4=$((base + 3)) t6=$((base + 4)) c4=$((base + 103)) c6=$((base + 104))
  dw_tcp_sink "$NS_B" "$out-t4" --bind 198.18.0.2 --port $t4 --tos 0x68 --timeout 5
  local k4=$SINK_PID
  check "$label: TCPv4 payload verified" dw_quiet ip netns exec "$NS_A" $TRAFFIC tcp-send --dst 198.18.0.2 --port $t4 --sport $c4 --tos 0x68 --bytes $TCP_BYTES --timeout 5
  dw_reap $k4
  dw_tcp_sink "$NS_B" "$out-t6" --bind 2001:db8::2 --port $t6 --tos 0x70 --timeout 5
  local k6=$SINK_PID
  check "$label: TCPv6 payload verified" dw_quiet ip netns exec "$NS_A" $TRAFFIC tcp-send --dst 2001:db8::2 --port $t6 --sport $c6 --tos 0x70 --bytes $TCP_BYTES --timeout 5
  dw_reap $k6

  # ICMP echo: the replies carry the request's DSCP.
  check "$label: ping IPv4 CS5" dw_quiet ip netns exec "$NS_A" ping -q -c $PING_N -i 0.01 -W 2 -Q 0xa0 198.18.0.2
  check "$label: ping IPv6 EF" dw_quiet ip netns exec "$NS_A" ping -6 -q -c $PING_N -i 0.01 -W 2 -Q 0xb8 2001:db8::2

  dw_capture_stop "$cap"
  expect_eq "$label: tcpdump dropped nothing" 0 "$CAP_DROPS"
  $DWQ pcap "$cap" >"$cap.tsv"

  local S F V C G
  S=$(dw "$NS_B" stats --json)
  F=$(dw "$NS_B" flows --json --top 0)

  # The capture, per TCP connection and direction: "frames bytes".
  mapfile -t C < <($DWQ frames "$cap.tsv" \
    "fam=='4' and proto==6 and dport==$t4" "fam=='4' and proto==6 and sport==$t4" \
    "fam=='6' and proto==6 and dport==$t6" "fam=='6' and proto==6 and sport==$t6")
  mapfile -t G < <(for port in $t4 $t6; do $DWQ count "$cap.tsv" "proto==6 and $port in (sport, dport)" dscp; done)

  # Per DSCP: UDP and ICMP counts are known; TCP is what the capture saw.
  mapfile -t V < <(dwj \
    'row(st("b0", "ingress", 18), st("b0", "ingress", 18, "bytes"))' \
    'row(st("b0", "ingress", 20), st("b0", "ingress", 20, "bytes"))' \
    'row(st("b0", "egress", 18), st("b0", "egress", 20))' \
    'row(st("b0", "ingress", 40), st("b0", "egress", 40), st("b0", "ingress", 40, "bytes"))' \
    'row(st("b0", "ingress", 46), st("b0", "egress", 46), st("b0", "ingress", 46, "bytes"))' \
    'row(st("b0", "ingress", 26), st("b0", "ingress", 26, "bytes"))' \
    'row(st("b0", "egress", 26), st("b0", "egress", 26, "bytes"))' \
    'row(st("b0", "ingress", 28), st("b0", "ingress", 28, "bytes"))' \
    'row(st("b0", "egress", 28), st("b0", "egress", 28, "bytes"))' \
    'row(j["check"]["ok"] and j["check"]["dscp_sum"] == j["check"]["frames"], j["check"]["verdict"])' \
    'row(j["counters"]["frames"], dsum())' <<<"$S")
  expect_eq "$label: UDPv4 AF21 in: packets bytes" "$UDP_N $((UDP_N * 242))" "${V[0]}"
  expect_eq "$label: UDPv6 AF22 in: packets bytes" "$UDP_N $((UDP_N * 262))" "${V[1]}"
  expect_eq "$label: no AF21/AF22 out" "0 0" "${V[2]}"
  expect_eq "$label: ICMPv4 CS5: in, out, bytes in" "$PING_N $PING_N $((PING_N * 98))" "${V[3]}"
  expect_eq "$label: ICMPv6 EF: in, out, bytes in" "$PING_N $PING_N $((PING_N * 118))" "${V[4]}"
  expect_eq "$label: TCPv4: every captured frame of the connection carries AF31" "26:$((${C[0]%% *} + ${C[1]%% *}))" "${G[0]}"
  expect_eq "$label: TCPv6: every captured frame of the connection carries AF32" "28:$((${C[2]%% *} + ${C[3]%% *}))" "${G[1]}"
  check "$label: the capture has the TCP connections (${C[*]})" test "${C[0]%% *}" -gt 10 -a "${C[1]%% *}" -gt 3 -a "${C[2]%% *}" -gt 10 -a "${C[3]%% *}" -gt 3
  expect_eq "$label: TCPv4 AF31 in: packets bytes = capture" "${C[0]}" "${V[5]}"
  expect_eq "$label: TCPv4 AF31 out: packets bytes = capture" "${C[1]}" "${V[6]}"
  expect_eq "$label: TCPv6 AF32 in: packets bytes = capture" "${C[2]}" "${V[7]}"
  expect_eq "$label: TCPv6 AF32 out: packets bytes = capture" "${C[3]}" "${V[8]}"
  # Per-DSCP sum = frame total.
  expect_eq "$label: dscpwatch's own check: per-DSCP sum = frames" "True exact" "${V[9]}"
  local frames=${V[10]%% *}
  expect_eq "$label: the per-DSCP rows sum to the frames counter" "$frames $frames" "${V[10]}"

  # Per flow: "count orientation c2s-pkts c2s-bytes s2c-pkts s2c-bytes {c2s DSCPs} {s2c DSCPs}".
  mapfile -t V < <(dwj \
    "fline(flows(proto='udp', port=$p4, cport=$s4))" \
    "fline(flows(proto='udp', port=$p6, cport=$s6))" \
    "fline(flows(proto='tcp', port=$t4, cport=$c4))" \
    "fline(flows(proto='tcp', port=$t6, cport=$c6))" \
    "fline(flows(proto='icmp', addrs=['198.18.0.1', '198.18.0.2']))" \
    "fline(flows(proto='icmpv6', addrs=['2001:db8::1', '2001:db8::2']))" <<<"$F")
  expect_eq "$label: UDPv4 flow" "1 port $UDP_N $((UDP_N * 242)) 0 0 {\"18\": $UDP_N} {}" "${V[0]}"
  expect_eq "$label: UDPv6 flow" "1 port $UDP_N $((UDP_N * 262)) 0 0 {\"20\": $UDP_N} {}" "${V[1]}"
  expect_eq "$label: TCPv4 flow = capture (client found by the SYN)" \
    "1 syn ${C[0]} ${C[1]} {\"26\": ${C[0]%% *}} {\"26\": ${C[1]%% *}}" "${V[2]}"
  expect_eq "$label: TCPv6 flow = capture (client found by the SYN)" \
    "1 syn ${C[2]} ${C[3]} {\"28\": ${C[2]%% *}} {\"28\": ${C[3]%% *}}" "${V[3]}"
  # ICMP echo: request and reply are one flow; which end is "client" is not asserted.
  expect_eq "$label: ICMPv4 echo flow" "1 $PING_N $((PING_N * 98)) $PING_N $((PING_N * 98)) {\"40\": $PING_N} {\"40\": $PING_N}" \
    "$(cut -d' ' -f1,3- <<<"${V[4]}")"
  expect_eq "$label: ICMPv6 echo flow" "1 $PING_N $((PING_N * 118)) $PING_N $((PING_N * 118)) {\"46\": $PING_N} {\"46\": $PING_N}" \
    "$(cut -d' ' -f1,3- <<<"${V[5]}")"

  # The next run reuses the instance: detach keeps it, reset empties it.
  dw "$NS_B" detach b0 >/dev/null
  dw "$NS_B" reset >/dev/null
}

run default 6000
run tc 7000 --hook tc

dw_done
