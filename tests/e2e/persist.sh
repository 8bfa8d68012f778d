#!/usr/bin/env bash
# persist.sh: the pinned instance outlives the tool, is shared by interfaces,
# and survives the tool being killed at any moment.
#
#   a a0 -- g0 g g1 -- b0 b      dscpwatch on both of g's NICs (one instance)
#
# 1. Counters survive the tool exiting; attaching a second interface later
#    keeps the shared maps: a flow crossing g is ONE record (seen on both
#    NICs, each packet counted once), and the per-NIC counters count both.
# 2. SIGKILL of `stats --watch`, of `remark`, and of `attach g1` at several
#    moments leaves g0's attachment and the counters intact; traffic still
#    counts; status, detach and attach work afterwards.
# 3. SIGKILL of the attach that creates an instance (another pin root, in b):
#    the next attach sweeps the leftovers: no $PIN-*-tmp-* remain.
source "$(dirname "$0")/lib.sh"
dw_need_root
dw_gateway

N=20
SEQ=0
# send N SPORT [COUNT]: AF41 datagrams a -> b (port 5000), counted by a receiver at the end.
TOTAL=0
send() {
  ip netns exec "$NS_A" $TRAFFIC udp-send --dst 198.18.2.1 --port 5000 --sport "$1" --tos 0x88 \
    --count "${2:-$N}" --first $SEQ >/dev/null
  SEQ=$((SEQ + ${2:-$N}))
  TOTAL=$((TOTAL + ${2:-$N}))
}
dw_udp_recv "$NS_B" "$WORK/recv" --bind 198.18.2.1 --port 5000 --timeout 120

# af41 IFACE DIR: AF41 packets counted there.
af41() { dw "$NS_G" stats --json | dwj "st('$1', '$2', 34)"; }

# --- 1. Persistence and shared maps ----------------------------------------
t0=$EPOCHREALTIME
dw "$NS_G" attach g0 >/dev/null
LOAD_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') # creating an instance takes this long
send 40001
expect_eq "counted by the instance after attach exited (g0 in)" "$N" "$(af41 g0 ingress)"
expect_eq "a second run of the tool reads the same counters" "$N" "$(af41 g0 ingress)"
prog_ids=$(dw "$NS_G" status --json | dwj 'row(j["interfaces"][0]["xdp"]["prog_id"], j["meta"]["created_unix"])')

dw "$NS_G" attach g1 >/dev/null
mapfile -t V < <(dw "$NS_G" status --json | dwj \
  'sorted(i["interface"] for i in j["interfaces"])' \
  'sorted(set(i["xdp"]["prog_id"] for i in j["interfaces"]))' \
  'row(j["interfaces"][0]["xdp"]["prog_id"], j["meta"]["created_unix"])')
expect_eq "status: both of g's NICs attached" '["g0", "g1"]' "${V[0]}"
expect_eq "both NICs run the same pinned XDP program" 1 "$(dwj 'len(j)' <<<"${V[1]}")"
expect_eq "attaching g1 kept the instance (program, creation time)" "$prog_ids" "${V[2]}"
expect_eq "attaching g1 kept g0's counters" "$N" "$(af41 g0 ingress)"

send 40002
ip netns exec "$NS_A" ping -q -c 5 -i 0.01 -W 2 -Q 0x60 198.18.2.1 >/dev/null || true
F=$(dw "$NS_G" flows --json --top 0)
mapfile -t V < <(dwj \
  "row(len(flows(proto='udp', cport=40002)), *[flows(proto='udp', cport=40002)[0][k] for k in ('packets', 'first_interface', 'last_interface')])" \
  "fline(flows(proto='udp', cport=40002))" \
  "fline(flows(proto='icmp'))" <<<"$F")
# abi.h: a flow crossing several attached NICs is one record, each direction
# counted once, where it was first seen; the per-NIC counters count every hook.
expect_eq "a flow crossing g is one record, seen on g0 then g1: records packets first last" \
  "1 $N g0 g1" "${V[0]}"
expect_eq "... each packet counted once in the flow (at g0, where it was first seen)" \
  "1 port $N $((N * 242)) 0 0 {\"34\": $N} {}" "${V[1]}"
expect_eq "ping across g: one record, requests and replies counted once each" \
  "1 5 5" "$(awk '{print $1, $3, $5}' <<<"${V[2]}")"
S=$(dw "$NS_G" stats --json)
expect_eq "the per-NIC counters count every hook: g0 in, g1 out" "$((2 * N)) $N" "$(dwj "row(st('g0', 'ingress', 34), st('g1', 'egress', 34))" <<<"$S")"

# --- 2. SIGKILL mid-command ------------------------------------------------
before=$(dw "$NS_G" stats --json | dwj "row(st('g0', 'ingress', 34), st('g1', 'egress', 34))")
hooks_g0=$(dw_hooks "$NS_G" g0)

dw_spawn "$PIN" "$NS_G" stats --watch 1
sleep 0.5
dw_kill9 $BG_PID
"$DW" --netns "$NS_G" --pin-root "$PIN" stats --json --watch 0.1 >"$WORK/watch.jsonl" &
w=$!
_PIDS+=("$w")
dw_sleep 0.5
dw_kill9 $w
check "stats --watch --json printed samples before the kill ($(wc -l <"$WORK/watch.jsonl"))" test "$(wc -l <"$WORK/watch.jsonl")" -ge 2

dw "$NS_G" remark off >/dev/null
bad_policy=0
for off in 0 0.002 0.005 0.01 0.02; do
  dw_spawn "$PIN" "$NS_G" remark map 46=10,af41=af11 --exempt-port udp:16384-32767 --exempt-prefix 198.18.9.0/24
  sleep $off
  dw_kill9 $BG_PID
  mode=$(dw "$NS_G" remark --json | dwj 'row(j["mode"], j["map_spec"] != "", len(j["exempt_ports"]), len(j["exempt_prefixes"]))') || mode="error"
  case "$mode" in
    "off False 0 0" | "map True 1 1") ;;
    *) bad_policy=$((bad_policy + 1)); echo "# after kill at +$off s: policy '$mode'" ;;
  esac
  dw "$NS_G" remark off >/dev/null
done
expect_eq "remark killed at any moment: the policy is the old or the new one, whole" 0 "$bad_policy"

dw "$NS_G" detach g1 >/dev/null
stuck=0
states=""
for off in 0 0.005 0.01 0.02 0.03 0.05 0.08 0.12; do
  dw_spawn "$PIN" "$NS_G" attach g1
  sleep $off
  dw_kill9 $BG_PID
  # Whatever state the kill left, status works and detach + attach bring g1 back.
  st_ok=yes
  dw "$NS_G" status >/dev/null 2>&1 || st_ok=no
  det=$(dw "$NS_G" detach g1 2>&1) || true
  states+="+$off: ${det#*: }; "
  hooks=$(dw_hooks "$NS_G" g1)
  if [ "$st_ok" != yes ] || [ "$hooks" != "xdp:none tcx ingress:[] egress:[] clsact:none" ]; then
    stuck=$((stuck + 1))
    echo "# after kill at +$off s: status=$st_ok; detach said: $det; g1 hooks: $hooks"
  fi
  if ! out=$(dw "$NS_G" attach g1 2>&1); then
    stuck=$((stuck + 1))
    echo "# after kill at +$off s: attach g1 failed: $out"
  fi
  dw "$NS_G" detach g1 >/dev/null 2>&1 || true
done
echo "# what the kills left (detach g1 said): $states"
expect_eq "attach g1 killed at 8 moments: status works, detach leaves g1 clean, attach works again" 0 "$stuck"
expect_eq "g0's attachment is intact" "$hooks_g0" "$(dw_hooks "$NS_G" g0)"
expect_eq "the counters are intact" "$before" "$(dw "$NS_G" stats --json | dwj "row(st('g0', 'ingress', 34), st('g1', 'egress', 34))")"

dw "$NS_G" attach g1 >/dev/null
send 40003 10
expect_eq "traffic still counts on g0 and again on g1" "$((2 * N + 10)) $((N + 10))" \
  "$(dw "$NS_G" stats --json | dwj "row(st('g0', 'ingress', 34), st('g1', 'egress', 34))")"
check "status works" dw_quiet dw "$NS_G" status
check "detach g0 works" dw_quiet dw "$NS_G" detach g0
check "attach g0 works" dw_quiet dw "$NS_G" attach g0
send 40004 10
expect_eq "counted after reattaching" "$((2 * N + 20)) $((N + 20))" \
  "$(dw "$NS_G" stats --json | dwj "row(st('g0', 'ingress', 34), st('g1', 'egress', 34))")"

dw_stop "$RECV_PID"
expect_eq "b received every datagram, intact" "$TOTAL 0 0" "$(dwj 'row(j["received"], j["bad"], j["dup"])' <"$WORK/recv")"

# --- 3. SIGKILL of the attach that creates the instance ----------------------
# Kill moments: midway in the load (relative to how long a creation took
# here), and right after the temporary root appears (it is left behind). The
# attach after them must sweep what they left. (Kills after the rename are
# the attach kills of part 2.)
echo "# creating an instance took $LOAD_S s"
ROOT_K=$PIN-k
for f in 0.5 tmp; do
  dw_spawn "$ROOT_K" "$NS_B" attach b0
  if [ $f = tmp ]; then
    for ((i = 0; i < 1000; i++)); do
      [ -e "$ROOT_K-tmp-$BG_PID" ] && break
      sleep 0.01
    done
    off="the temporary root's creation"
  else
    off=$(awk -v t="$LOAD_S" -v f="$f" 'BEGIN { printf "%.3f", t * f }')
    sleep "$off"
  fi
  dw_kill9 $BG_PID
  dw_at "$ROOT_K" "$NS_B" status >/dev/null 2>&1 || echo "# status failed after a kill at +$off s (creation took $LOAD_S s)"
  [ $f = tmp ] || dw_at "$ROOT_K" "$NS_B" detach --all >/dev/null 2>&1 || true
done
left=$(cd "$(dirname "$PIN")" && compgen -G "$(basename "$ROOT_K")-tmp-*" || true)
check "killed creations left temporary roots to sweep ($(echo $left))" test -n "$left"
check "the next attach creates the instance" dw_quiet dw_at "$ROOT_K" "$NS_B" attach b0
expect_eq "no $(basename "$ROOT_K")-tmp-* leftovers under $(dirname "$PIN")" "" \
  "$(cd "$(dirname "$PIN")" && compgen -G "$(basename "$PIN")*-tmp-*" || true)"
expect_eq "b0 runs the new instance: XDP native + tc egress (TCX, or clsact without it)" "xdp/xdp egress" \
  "$(dw_hooks "$NS_B" b0 | sed -E 's/xdp:[0-9]+/xdp/; s/ tcx ingress:\[\] (egress:\[[0-9]+\] clsact:none|egress:\[\] clsact:0\/1)/ egress/')"
check "detach --all" dw_quiet dw_at "$ROOT_K" "$NS_B" detach --all
check "detach --all removed the pin root" test ! -e "$ROOT_K"

dw_done
