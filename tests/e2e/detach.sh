#!/usr/bin/env bash
# detach.sh: detach leaves an interface exactly as it was.
#
# For each way of attaching, a snapshot of b0 (ip -d link, tc qdisc, tc filter
# ingress/egress, bpftool net, the TCX hooks) before the attach must equal the
# snapshot after the detach; in between, the hooks must really be taken.
# Pre-existing state (a clsact qdisc with foreign filters) must survive.
source "$(dirname "$0")/lib.sh"
dw_need_root
dw_pair
dw_link a a1 b b1
OBJ=$(dw_foreign_obj)
B="dw $NS_B"

# round LABEL HOOKS-REGEX ATTACH-ARGS...: attach b0, check its hooks, detach b0, compare.
round() {
  local label="$1" want="$2"
  shift 2
  local before after
  before=$(dw_snapshot "$NS_B" b0)
  check "$label: attach" dw_quiet $B attach b0 "$@"
  expect_match "$label: hooks taken" "$want" "$(dw_hooks "$NS_B" b0)"
  check "$label: detach" dw_quiet $B detach b0
  after=$(dw_snapshot "$NS_B" b0)
  expect_same "$label: b0 is exactly as before" "$before" "$after"
}

N='[0-9]+'
# tc hooks: TCX links where the kernel has them (Linux 6.6+); elsewhere
# --tc-mode auto falls back to a clsact filter, and --tc-mode tcx fails cleanly.
TCX=$($B status --json | dwj 'j["kernel"]["tcx"]')
echo "# kernel $(uname -r): TCX ${TCX}"
if [ "$TCX" = True ]; then
  TC_OUT="tcx ingress:\[\] egress:\[$N\] clsact:none"
else
  TC_OUT="tcx ingress:\[\] egress:\[\] clsact:0/1"
fi
# tcx_round LABEL HOOKS-REGEX ATTACH-ARGS...: a round with --tc-mode tcx; without
# TCX, the attach must fail with one line naming the fix and change nothing.
tcx_round() {
  local label="$1"
  if [ "$TCX" = True ]; then
    round "$@"
    return
  fi
  shift 2
  local before
  before=$(dw_snapshot "$NS_B" b0)
  expect_error "$label: refused without TCX" "has no TCX links \\(Linux 6\\.6\\+\\)" "--tc-mode clsact or auto" \
    $B attach b0 "$@"
  expect_same "$label: b0 untouched" "$before" "$(dw_snapshot "$NS_B" b0)"
}

round "default hooks (XDP native in, tc out: TCX, or clsact without it)" "^xdp:$N/xdp $TC_OUT$"
round "generic XDP" "^xdp:$N/xdpgeneric $TC_OUT$" --xdp-mode generic
tcx_round "--hook tc --tc-mode tcx" "^xdp:none tcx ingress:\[$N\] egress:\[$N\] clsact:none$" --hook tc --tc-mode tcx
round "--hook tc --tc-mode clsact (qdisc added, then removed)" "^xdp:none tcx ingress:\[\] egress:\[\] clsact:1/1$" \
  --hook tc --tc-mode clsact
round "XDP in, clsact out" "^xdp:$N/xdp tcx ingress:\[\] egress:\[\] clsact:0/1$" --tc-mode clsact
round "tc egress only" "^xdp:none $TC_OUT$" --direction egress
round "XDP ingress only" "^xdp:$N/xdp tcx ingress:\[\] egress:\[\] clsact:none$" --direction ingress

# A clsact qdisc with foreign filters was there first: a BPF filter on ingress,
# a u32 filter on egress (matching nothing).
tc -n "$NS_B" qdisc add dev b0 clsact
tc -n "$NS_B" filter add dev b0 ingress bpf obj "$OBJ" sec tc da
tc -n "$NS_B" filter add dev b0 egress prio 10 protocol ip u32 match ip dst 198.18.255.254/32 classid 1:1
round "foreign clsact filters, --hook tc --tc-mode clsact" "^xdp:none tcx ingress:\[\] egress:\[\] clsact:2/2$" \
  --hook tc --tc-mode clsact
check "... the foreign BPF filter is still on ingress" bash -c "tc -n $NS_B filter show dev b0 ingress | grep -q tc_foreign"
check "... the u32 filter is still on egress" bash -c "tc -n $NS_B filter show dev b0 egress | grep -q u32"
round "foreign clsact filters, default hooks with clsact" "^xdp:$N/xdp tcx ingress:\[\] egress:\[\] clsact:1/2$" --tc-mode clsact
tcx_round "foreign clsact filters, TCX" "^xdp:none tcx ingress:\[$N\] egress:\[$N\] clsact:1/1$" --hook tc --tc-mode tcx

# The instance outlives single detaches, with its counters; detach --all
# removes every attachment, the clsact qdisc it added, and the pins.
check "instance still pinned after the single detaches" test -e "$PIN/meta"
check "stats still work" dw_quiet $B stats
before1=$(dw_snapshot "$NS_B" b1)
check "attach b0 b1 (clsact)" dw_quiet $B attach b0 b1 --hook tc --tc-mode clsact
expect_eq "status lists both" '["b0", "b1"]' "$($B status --json | dwj 'sorted(i["interface"] for i in j["interfaces"])')"
check "detach --all" dw_quiet $B detach --all
check "detach --all removed the pin root" test ! -e "$PIN"
expect_same "b1 is exactly as before (its qdisc removed)" "$before1" "$(dw_snapshot "$NS_B" b1)"
expect_match "b0's own clsact qdisc and foreign filters stay" "clsact:1/1$" "$(dw_hooks "$NS_B" b0)"
check "... the foreign BPF filter" bash -c "tc -n $NS_B filter show dev b0 ingress | grep -q tc_foreign"
check "detach --all again: nothing to do, success" dw_quiet $B detach --all

dw_done
