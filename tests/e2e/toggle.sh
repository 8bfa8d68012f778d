#!/usr/bin/env bash
# toggle.sh: remarking switched live under continuous traffic.
#
# a streams EF UDP to b (IPv4 and IPv6, 1000 datagrams/s each, 10 s) while
# `remark zero` and `remark off` alternate every 100 ms on a0 (tc egress, the
# sender's NIC). Nothing may be lost or damaged, and the counters must add up:
#   - b received every sequence number once, payload intact;
#   - at a0 egress every datagram counted as EF (the DSCP as it arrived at the
#     hook), and remarked + not remarked = sent;
#   - b saw a mix of DSCP 0 and 46 that sums to what was sent, and equals
#     a0's remarked / not remarked split; a second instance on b0 (ingress)
#     sees the same split in the flow record, with many DSCP changes.
source "$(dirname "$0")/lib.sh"
dw_need_root
dw_pair
PIN_B=$PIN-b

# DW_TOGGLE_PPS / _SECS / _MIN_SWITCHES make a smaller run where the machine is
# slow (vmtest/suite.sh sets them under qemu's TCG); the checks stay the same.
PPS=${DW_TOGGLE_PPS:-1000}
SECS=${DW_TOGGLE_SECS:-10}
MIN_SWITCHES=${DW_TOGGLE_MIN_SWITCHES:-$((SECS * 5))}
echo "# $PPS datagrams/s for $SECS s, at least $MIN_SWITCHES policy switches"

# Two instances, loaded in parallel.
"$DW" --netns "$NS_B" --pin-root "$PIN_B" attach b0 --direction ingress >/dev/null &
attach_b=$!
_PIDS+=("$attach_b")
dw "$NS_A" attach a0 --direction egress >/dev/null
wait $attach_b

dw_udp_recv "$NS_B" "$WORK/recv4" --bind 198.18.0.2 --port 5004 --timeout 60
R4=$RECV_PID
dw_udp_recv "$NS_B" "$WORK/recv6" --bind 2001:db8::2 --port 5006 --timeout 60
R6=$RECV_PID

ip netns exec "$NS_A" $TRAFFIC udp-stream --dst 198.18.0.2 --port 5004 --sport 40004 --tos 0xb8 \
  --pps $PPS --duration $SECS >"$WORK/send4" &
S4=$!
_PIDS+=("$S4")
ip netns exec "$NS_A" $TRAFFIC udp-stream --dst 2001:db8::2 --port 5006 --sport 40006 --tos 0xb8 \
  --pps $PPS --duration $SECS >"$WORK/send6" &
S6=$!
_PIDS+=("$S6")

toggles=0
failed=0
while kill -0 "$S4" 2>/dev/null || kill -0 "$S6" 2>/dev/null; do
  dw "$NS_A" remark zero >/dev/null || failed=$((failed + 1))
  sleep 0.1
  dw "$NS_A" remark off >/dev/null || failed=$((failed + 1))
  sleep 0.1
  toggles=$((toggles + 2))
done
dw_reap "$S4"
dw_reap "$S6"
sleep 0.5
dw_stop "$R4"
dw_stop "$R6"
expect_eq "every remark command succeeded ($toggles)" 0 "$failed"
check "the policy switched often during the stream ($toggles switches)" test $toggles -ge "$MIN_SWITCHES"

SA=$(dw "$NS_A" stats --json)
FA=$(dw "$NS_A" flows --json --top 0)
FB=$(dw_at "$PIN_B" "$NS_B" flows --json --top 0)
for fam in 4 6; do
  sent=$(dwj 'j["sent"]' <"$WORK/send$fam")
  check "IPv$fam: the stream sent most of its datagrams ($sent)" test "$sent" -ge $((PPS * SECS * 8 / 10))
  mapfile -t V < <(dwj 'row(j["received"], j["bad"], j["dup"], j["max_seq"] + 1)' \
    'j["dscp"].get("0", 0)' 'j["dscp"].get("46", 0)' 'sorted(j["dscp"])' <"$WORK/recv$fam")
  expect_eq "IPv$fam: b received every datagram once, intact: received bad dup max_seq+1" "$sent 0 0 $sent" "${V[0]}"
  r0=${V[1]} r46=${V[2]}
  expect_eq "IPv$fam: b saw only DSCP 0 and 46" '["0", "46"]' "${V[3]}"
  expect_eq "IPv$fam: DSCP 0 + DSCP 46 at b = sent ($r0 + $r46)" "$sent" "$((r0 + r46))"
  check "IPv$fam: both policies were in force for a good share of the stream" test "$r0" -ge $((sent / 5)) -a "$r46" -ge $((sent / 5))

  port=$((5000 + fam))
  expect_eq "IPv$fam: a0's flow record: every datagram EF as it reached the hook" "1 $sent {\"46\": $sent}" \
    "$(dwj "fline(flows(proto='udp', port=$port))" <<<"$FA" | awk '{print $1, $3, $7, $8}')"
  expect_eq "IPv$fam: b0's flow record: sent, {0: remarked, 46: not remarked}" "1 $sent {\"0\": $r0, \"46\": $r46}" \
    "$(dwj "fline(flows(proto='udp', port=$port))" <<<"$FB" | awk '{print $1, $3, $7, $8, $9, $10}')"
  changes=$(dwj "flows(proto='udp', port=$port)[0]['c2s']['changes']" <<<"$FB")
  check "IPv$fam: b0 saw the DSCP change many times ($changes)" test "$changes" -ge $((MIN_SWITCHES * 2 / 5))
done

# Both streams together, at a0: remarked + not remarked = everything sent.
total=$(($(dwj 'j["sent"]' <"$WORK/send4") + $(dwj 'j["sent"]' <"$WORK/send6")))
mapfile -t V < <(dwj "st('a0', 'egress', 46)" \
  "sum(e['remarked'] for e in j['interfaces'] if e['interface'] == 'a0' and e['dscp'] == 46)" \
  "rm('a0', 'egress', 46, 0)" 'row(j["check"]["ok"], j["check"]["verdict"], j["counters"]["remark_failed"])' <<<"$SA")
recv0=$(($(dwj 'j["dscp"].get("0", 0)' <"$WORK/recv4") + $(dwj 'j["dscp"].get("0", 0)' <"$WORK/recv6")))
recv46=$(($(dwj 'j["dscp"].get("46", 0)' <"$WORK/recv4") + $(dwj 'j["dscp"].get("46", 0)' <"$WORK/recv6")))
expect_eq "a0 egress: EF packets (as they reached the hook) = sent by both streams" "$total" "${V[0]}"
expect_eq "a0 egress: EF remarked (per-DSCP column) = remark table 46->0" "${V[1]}" "${V[2]}"
expect_eq "a0 egress: remarked = DSCP 0 at b (both streams)" "$recv0" "${V[1]}"
expect_eq "a0 egress: not remarked (EF - remarked) = DSCP 46 at b (both streams)" "$recv46" "$((V[0] - V[1]))"
expect_eq "a0 egress: remarked + not remarked = sent" "$total" "$((recv0 + recv46))"
expect_eq "a0: per-DSCP sum = frames, no failed rewrites" "True exact 0" "${V[3]}"
expect_eq "b0: per-DSCP sum = frames" "True" "$(dw_at "$PIN_B" "$NS_B" stats --json | dwj 'j["check"]["ok"]')"

dw_done
