#!/usr/bin/env bash
# errors.sh: every bad input gets one line, "dscpwatch: <cause>; <fix>", and a
# non-zero exit; a failed attach leaves nothing attached or pinned.
#
# Namespace b has b0, b1, b2 (veths to a) and xbr (a bridge: no native XDP).
source "$(dirname "$0")/lib.sh"
dw_need_root
dw_pair
dw_link a a1 b b1
dw_link a a2 b b2
ip -n "$NS_B" link add xbr type bridge
ip -n "$NS_B" link set xbr up
OBJ=$(dw_foreign_obj)
CLEAN="xdp:none tcx ingress:[] egress:[] clsact:none"
B="dw $NS_B"

# --- Without an instance ----------------------------------------------------
for cmd in "stats" "flows" "remark zero" "remark" "reset" "detach b0"; do
  expect_error "'$cmd' without an instance" "no dscpwatch instance at $PIN" "attach an interface first|nothing to detach" $B $cmd
done
check "status without an instance says so and succeeds" bash -c "$DW --netns $NS_B --pin-root $PIN status | grep -q 'not attached'"
check "detach --all without an instance succeeds" dw_quiet $B detach --all

# --- Names and places -------------------------------------------------------
expect_error "unknown interface" "no interface named 'nosuch0'" "ip link" $B attach nosuch0
expect_error "unknown network namespace" "cannot open network namespace .*nosuch-$SUFFIX" "ip netns list" \
  "$DW" --netns "nosuch-$SUFFIX" --pin-root "$PIN" status
expect_error "pin root whose parent does not exist" "parent /tmp/nonexistent-$SUFFIX does not exist" "bpf filesystem|/sys/fs/bpf" \
  "$DW" --netns "$NS_B" --pin-root "/tmp/nonexistent-$SUFFIX/dw" attach b0
mkdir -p "$WORK/x"
expect_error "pin root whose parent is not bpffs" "$WORK/x is not on a bpf filesystem" "mount -t bpf|/sys/fs/bpf" \
  "$DW" --netns "$NS_B" --pin-root "$WORK/x/dw" attach b0
expect_error "stats with a pin root off bpffs" "no dscpwatch instance at $WORK/x/dw" "attach an interface first" \
  "$DW" --netns "$NS_B" --pin-root "$WORK/x/dw" stats
expect_eq "the refused attaches touched nothing on b0" "$CLEAN" "$(dw_hooks "$NS_B" b0)"
expect_eq "... and created nothing" "" "$(ls -A "$WORK/x")"

# --- Attach options -----------------------------------------------------------
expect_error "--direction egress with --hook xdp" "XDP sees only ingress" "--hook tc" $B attach b0 --hook xdp --direction egress
expect_fail "--tc-mode with a bad value" "tc-mode" $B attach b0 --tc-mode foo
expect_fail "--flows 0" "flows" $B attach b0 --flows 0
rc=0; $B attach b0 --tc-mode foo >/dev/null 2>&1 || rc=$?
expect_eq "a bad command line exits 2 (usage error)" 2 "$rc"
rc=0; $B frobnicate >/dev/null 2>&1 || rc=$?
expect_eq "an unknown command exits 2" 2 "$rc"
rc=0; $B attach --help >/dev/null 2>&1 || rc=$?
expect_eq "--help exits 0" 0 "$rc"
expect_eq "nothing attached, nothing pinned" "$CLEAN no" "$(dw_hooks "$NS_B" b0) $([ -e "$PIN" ] && echo yes || echo no)"

# --- With an instance (the classifier is loaded once: b2) -------------------------
check "attach b2" dw_quiet $B attach b2
hooks_b2=$(dw_hooks "$NS_B" b2)
expect_error "attach an interface that is already ours" "b2 is already attached" "detach it first" $B attach b2
expect_error "detach an interface that is not attached" "b0 is not attached" "dscpwatch status" $B detach b0
expect_error "detach without interfaces" "nothing to detach" "--all" $B detach
expect_error "stats of an unknown interface" "no interface named 'nosuch0'" "ip link" $B stats nosuch0
expect_error "the instance serves another network namespace" "serves another network namespace" "--netns|--pin-root" \
  dw "$NS_A" status

# XDP mode native where there is none (a bridge); auto falls back to generic.
expect_error "--xdp-mode native on a bridge" "native XDP is not available on xbr" "--xdp-mode generic|--hook tc" \
  $B attach xbr --xdp-mode native
expect_eq "the failed attach left xbr clean" "$CLEAN" "$(dw_hooks "$NS_B" xbr)"
err=$($B attach xbr 2>&1 >/dev/null) || true
expect_match "--xdp-mode auto on a bridge falls back to generic XDP, with a warning on stderr" "falling back to generic" "$err"
expect_match "... and xbr runs generic XDP" '^xdp:[0-9]+/xdpgeneric ' "$(dw_hooks "$NS_B" xbr)"
check "detach xbr" dw_quiet $B detach xbr

# Malformed policies: refused before anything changes.
$B remark map 46=12 >/dev/null
policy=$($B remark --json | dwj 'row(j["mode"], j["map_spec"], j["generation"])')
for spec in 64=0 46=99 foo 46= =10 ef=af99 "46=10,,"; do
  expect_error "remark map $spec" "bad DSCP value|malformed map entry|empty map spec" "FROM=TO" $B remark map "$spec"
done
expect_error "remark map without a spec" "needs a map spec" "FROM=TO" $B remark map
expect_error "remark zero with a spec" "takes no map spec" "remark map" $B remark zero 46=0
expect_error "unknown remark mode" "unknown remark mode 'bogus'" "off, zero, or map" $B remark bogus
expect_error "unknown remark direction" "unknown direction 'sideways'" "ingress, egress or both" $B remark zero --direction sideways
for cidr in 198.18.0.0/33 300.1.1.1/8 nonsense 2001:db8::/129 198.18.0.0/ 2001:db8:::1/64; do
  expect_error "exempt prefix $cidr" "malformed prefix '$cidr'" "198.51.100.0/24" $B remark zero --exempt-prefix "$cidr"
done
for range in udp:30000-20000 udp:1-70000 sctp:1-2 udp:abc udp16384-32767 udp:-5; do
  expect_error "exempt port range $range" "malformed port range '$range'" "PROTO:LO-HI" $B remark zero --exempt-port "$range"
done
expect_error "flows --dscp 64" "bad DSCP value '64'" "0-63" $B flows --dscp 64
expect_error "flows --host 1.2.3" "malformed address '1.2.3'" "IPv4 or IPv6" $B flows --host 1.2.3
expect_error "flows --port 70000" "bad port '70000'" "0-65535" $B flows --port 70000
expect_eq "the refused policies changed nothing" "$policy" "$($B remark --json | dwj 'row(j["mode"], j["map_spec"], j["generation"])')"

# --- Foreign programs -------------------------------------------------------------
ip -n "$NS_B" link set dev b1 xdpgeneric obj "$OBJ" sec xdp
foreign=$(dw_hooks "$NS_B" b1)
expect_match "a foreign XDP program is on b1" '^xdp:[0-9]+/xdpgeneric ' "$foreign"
expect_error "attach refuses a foreign XDP program, naming it" \
  "b1 already has an XDP program that is not ours: program [0-9]+ 'xdp_foreign' \(generic\)" "--force" $B attach b1

# All or nothing: b0 then b1 (foreign) fails; b0 is rolled back, b2 stays.
expect_error "attach b0 b1 with b1 foreign" "xdp_foreign" "--force" $B attach b0 b1
expect_eq "... b0 was rolled back" "$CLEAN" "$(dw_hooks "$NS_B" b0)"
expect_eq "... b1 keeps its foreign program" "$foreign" "$(dw_hooks "$NS_B" b1)"
expect_eq "... b2 is still attached" "$hooks_b2" "$(dw_hooks "$NS_B" b2)"
expect_eq "... the registry lists b2 only" '["b2"]' "$($B status --json | dwj 'sorted(i["interface"] for i in j["interfaces"])')"

# --force replaces the foreign XDP program.
check "attach b1 --force" dw_quiet $B attach b1 --force
ours=$($B status --json | dwj '[i["xdp"]["prog_id"] for i in j["interfaces"] if i["interface"] == "b1"][0]')
expect_match "b1 now runs our XDP program (native)" "^xdp:$ours/xdp " "$(dw_hooks "$NS_B" b1)"
check "detach b1" dw_quiet $B detach b1

# A foreign tc filter at our clsact slot (handle 0xd5c prio 1). With the default
# hooks XDP attaches first, then the tc egress filter fails: XDP is rolled back.
tc -n "$NS_B" qdisc add dev b0 clsact
tc -n "$NS_B" filter add dev b0 egress prio 1 handle 0xd5c bpf obj "$OBJ" sec tc da
before=$(dw_hooks "$NS_B" b0)
expect_error "attach refuses a foreign tc filter at its slot, naming it" \
  "b0 has a tc filter that is not ours at handle 0xd5c prio 1: program [0-9]+ 'tc_foreign'" "--force" \
  $B attach b0 --tc-mode clsact
expect_eq "... XDP was rolled back, the qdisc and the foreign filter stay" "$before" "$(dw_hooks "$NS_B" b0)"
check "attach b0 --tc-mode clsact --force replaces it" dw_quiet $B attach b0 --tc-mode clsact --force
check "... our filter is at the slot" bash -c "tc -n $NS_B filter show dev b0 egress | grep -q 'handle 0xd5c dw_tc_egress'"
check "detach --all" dw_quiet $B detach --all
check "detach --all removed the pin root" test ! -e "$PIN"

# --- A failed attach without an instance: the new instance is removed too ----------
ip -n "$NS_B" link set dev b1 xdpgeneric obj "$OBJ" sec xdp
expect_error "attach b2 b1 with b1 foreign, no instance yet" "xdp_foreign" "--force" $B attach b2 b1
expect_eq "... b2 was rolled back" "$CLEAN" "$(dw_hooks "$NS_B" b2)"
check "... the pin root was removed" test ! -e "$PIN"
expect_eq "... no temporary pin roots left" "" "$(cd "$(dirname "$PIN")" && compgen -G "$(basename "$PIN")*" || true)"

dw_done
