# Shared harness for the end-to-end tests: network namespaces joined by veth
# pairs, a private pin root, and cleanup that runs however the test ends.
# Source it; then call dw_need_root and dw_pair (or build your own topology
# with dw_ns / dw_link). Every name carries a per-run suffix.
set -euo pipefail

DW=${DW:?DW must point to the dscpwatch binary}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRAFFIC="python3 $E2E_DIR/traffic.py"
SUFFIX=$(printf '%04x%04x' $$ $RANDOM)
PIN=/sys/fs/bpf/dwt-$SUFFIX
WORK=$(mktemp -d /tmp/dwt-$SUFFIX.XXXX)
_NAMESPACES=()
_PIDS=()
_FAILS=0
_CHECKS=0

dw_need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL: end-to-end tests need root (network namespaces, BPF); run as root, as CI does" >&2
    exit 1
  fi
}

_dw_cleanup() {
  local rc=$?
  set +e
  for pid in "${_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${_NAMESPACES[@]}"; do
    [ -d "$PIN" ] && "$DW" --netns "$ns" --pin-root "$PIN" detach --all >/dev/null 2>&1
  done
  rm -rf "$PIN" 2>/dev/null
  for ns in "${_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  exit $rc
}
trap _dw_cleanup EXIT
trap 'exit 130' INT TERM

# dw_ns NAME: create a namespace with lo up; prints nothing. Name gets the suffix.
dw_ns() {
  local ns="$1-$SUFFIX"
  ip netns add "$ns"
  _NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
}

# dw_link NS_A DEV_A NS_B DEV_B: a veth pair with GSO/GRO/TSO off on both ends.
dw_link() {
  local a="$1-$SUFFIX" b="$3-$SUFFIX"
  ip link add "$2" netns "$a" type veth peer name "$4" netns "$b"
  for end in "$a $2" "$b $4"; do
    set -- $end
    ip -n "$1" link set "$2" gso_max_segs 1 gso_max_size 1500
    ip netns exec "$1" ethtool -K "$2" gro off gso off tso off >/dev/null 2>&1 || true
    ip -n "$1" link set "$2" up
  done
}

# dw_pair: namespaces "a" (198.18.0.1, 2001:db8::1) and "b" (198.18.0.2, 2001:db8::2)
# joined by a0 <-> b0. Sets NS_A, NS_B.
dw_pair() {
  dw_ns a
  dw_ns b
  NS_A=a-$SUFFIX
  NS_B=b-$SUFFIX
  dw_link a a0 b b0
  ip -n "$NS_A" addr add 198.18.0.1/24 dev a0
  ip -n "$NS_B" addr add 198.18.0.2/24 dev b0
  ip -n "$NS_A" addr add 2001:db8::1/64 dev a0 nodad
  ip -n "$NS_B" addr add 2001:db8::2/64 dev b0 nodad
  # Static neighbours: no ARP/ND noise in the counters.
  local mac_a mac_b
  mac_a=$(ip -n "$NS_A" -br link show a0 | awk '{print $3}')
  mac_b=$(ip -n "$NS_B" -br link show b0 | awk '{print $3}')
  ip -n "$NS_A" neigh replace 198.18.0.2 lladdr "$mac_b" dev a0 nud permanent
  ip -n "$NS_A" neigh replace 2001:db8::2 lladdr "$mac_b" dev a0 nud permanent
  ip -n "$NS_B" neigh replace 198.18.0.1 lladdr "$mac_a" dev b0 nud permanent
  ip -n "$NS_B" neigh replace 2001:db8::1 lladdr "$mac_a" dev b0 nud permanent
}

# dw NS ARGS...: run dscpwatch in a namespace with the test's pin root.
dw() {
  local ns="$1"
  shift
  "$DW" --netns "$ns" --pin-root "$PIN" "$@"
}

dw_bg() { "$@" & _PIDS+=($!); }

# check DESCRIPTION COMMAND...: one assertion; the test goes on, and fails at the end.
check() {
  local what="$1"
  shift
  _CHECKS=$((_CHECKS + 1))
  if "$@"; then
    echo "ok   - $what"
  else
    echo "FAIL - $what"
    _FAILS=$((_FAILS + 1))
  fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  _CHECKS=$((_CHECKS + 1))
  if [ "$2" == "$3" ]; then
    echo "ok   - $1 ($3)"
  else
    echo "FAIL - $1: expected '$2', got '$3'"
    _FAILS=$((_FAILS + 1))
  fi
}

# expect_fail DESCRIPTION PATTERN COMMAND...: the command must fail with one
# line on stderr that matches PATTERN.
expect_fail() {
  local what="$1" pattern="$2"
  shift 2
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  _CHECKS=$((_CHECKS + 1))
  if [ $rc -ne 0 ] && grep -Eq -- "$pattern" <<<"$err" && [ "$(wc -l <<<"$err")" -le 2 ]; then
    echo "ok   - $what: $err"
  else
    echo "FAIL - $what: rc=$rc stderr='$err' (wanted /$pattern/)"
    _FAILS=$((_FAILS + 1))
  fi
}

dw_done() {
  echo "$((_CHECKS - _FAILS)) passed, $_FAILS failed"
  [ "$_FAILS" -eq 0 ]
}
