# Shared harness for the end-to-end tests: network namespaces joined by veth
# pairs, a private pin root, and cleanup that runs however the test ends.
# Source it; then call dw_need_root and dw_pair (or build your own topology
# with dw_ns / dw_link). Every name carries a per-run suffix.
set -euo pipefail

DW=${DW:?DW must point to the dscpwatch binary}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The system's Python: a version manager's shim (pyenv) costs ~0.4 s per start.
PY=$(command -v /usr/bin/python3 || command -v python3)
TRAFFIC="$PY $E2E_DIR/traffic.py"
DWQ="$PY $E2E_DIR/dwq.py"
_T0=$SECONDS
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

# The script's own stdout: a signal can end the script inside a command whose
# output goes to /dev/null, and the cleanup inherits that.
exec {_DW_STDOUT}>&1

_dw_cleanup() {
  local rc=$?
  set +e
  trap - ERR
  trap '' INT TERM
  if [ -z "${_DONE:-}" ] && [ $rc -ne 0 ]; then
    # A setup step failed (set -e) or a signal came: say so, in the usual summary form.
    echo "FAIL - aborted (exit $rc) at ${_DW_ERR:-a signal}" >&$_DW_STDOUT
    echo "$((_CHECKS - _FAILS)) passed, $((_FAILS + 1)) failed" >&$_DW_STDOUT
  fi
  for pid in "${_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  # Every pin root of this run: $PIN and the extra ones named $PIN-* (dw_at),
  # including creations that a test killed before they were renamed into place.
  local root
  for root in "$PIN" "$PIN"-*; do
    [ -e "$root" ] || continue
    if [ -d "$root/links" ]; then
      for ns in "${_NAMESPACES[@]}"; do
        "$DW" --netns "$ns" --pin-root "$root" detach --all >/dev/null 2>&1
      done
    fi
    rm -rf "$root" 2>/dev/null
  done
  for ns in "${_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  exit $rc
}
trap _dw_cleanup EXIT
trap 'exit 130' INT TERM
# Remember where a failing command stopped the script: the test script's line.
_dw_on_err() {
  local n=${#BASH_SOURCE[@]}
  _DW_ERR="${BASH_SOURCE[n - 1]##*/}:${BASH_LINENO[n - 2]}: $1"
}
set -E
trap '_dw_on_err "$BASH_COMMAND"' ERR

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

# dw_bg COMMAND...: run an external command in the background, killed at the
# end. Not a shell function (such as dw): $! would be the subshell running
# it, and killing that leaves the command running; use dw_spawn for dscpwatch.
dw_bg() { "$@" & _PIDS+=($!); }

# dw_spawn ROOT NS ARGS...: dscpwatch in the background as a direct child, so
# BG_PID is dscpwatch itself (for kill -9); output to $WORK/spawn.out/.err.
dw_spawn() {
  local root="$1" ns="$2"
  shift 2
  "$DW" --netns "$ns" --pin-root "$root" "$@" >>"$WORK/spawn.out" 2>>"$WORK/spawn.err" &
  BG_PID=$!
  _PIDS+=("$BG_PID")
}

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

# expect_error DESCRIPTION CAUSE FIX COMMAND...: the command must fail with
# exactly one line on stderr, "dscpwatch: <cause>; <fix>", where the cause
# matches the extended regex CAUSE and the fix matches FIX.
expect_error() {
  local what="$1" cause="$2" fix="$3"
  shift 3
  local err rc=0 ok=no
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  _CHECKS=$((_CHECKS + 1))
  if [ $rc -ne 0 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && [[ "$err" =~ ^dscpwatch:\ (.*)\;\ (.*)$ ]]; then
    local c="${BASH_REMATCH[1]}" f="${BASH_REMATCH[2]}"
    grep -Eq -- "$cause" <<<"$c" && grep -Eq -- "$fix" <<<"$f" && ok=yes
  fi
  if [ $ok = yes ]; then
    echo "ok   - $what: $err"
  else
    echo "FAIL - $what: rc=$rc stderr='$err' (wanted one line 'dscpwatch: /$cause/; /$fix/')"
    _FAILS=$((_FAILS + 1))
  fi
}

# expect_same DESCRIPTION EXPECTED ACTUAL: multi-line texts must be equal; a
# failure shows the diff.
expect_same() {
  _CHECKS=$((_CHECKS + 1))
  if [ "$2" == "$3" ]; then
    echo "ok   - $1"
  else
    echo "FAIL - $1:"
    diff <(echo "$2") <(echo "$3") | sed 's/^/       /' || true
    _FAILS=$((_FAILS + 1))
  fi
}

# expect_match DESCRIPTION REGEX ACTUAL: ACTUAL matches the extended regex.
expect_match() {
  _CHECKS=$((_CHECKS + 1))
  if [[ "$3" =~ $2 ]]; then
    echo "ok   - $1 ($3)"
  else
    echo "FAIL - $1: wanted /$2/, got '$3'"
    _FAILS=$((_FAILS + 1))
  fi
}

dw_done() {
  _DONE=1
  echo "# $(basename "$0"): $((SECONDS - _T0)) s"
  echo "$((_CHECKS - _FAILS)) passed, $_FAILS failed"
  [ "$_FAILS" -eq 0 ]
}

# ---------------------------------------------------------------------------
# More topology, traffic, capture and query helpers.

# dw_at ROOT NS ARGS...: dscpwatch with another pin root. Use "$PIN-NAME" so
# the cleanup finds it (an instance serves one namespace: a second namespace
# needs its own root).
dw_at() {
  local root="$1" ns="$2"
  shift 2
  "$DW" --netns "$ns" --pin-root "$root" "$@"
}

# dwj EXPR...: evaluate Python expressions over JSON on stdin, one result a
# line (see dwq.py: j, st(), rm(), dsum(), flows(), dscps(), fline(), row()).
# Many expressions in one call save a Python start each.
dwj() { $DWQ json "$@"; }

# dw_neigh NS DEV ADDR MAC: a permanent neighbour entry (no ARP/ND noise).
dw_neigh() { ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent; }

dw_mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

# dw_csum_off NS DEV...: compute checksums in software on transmit, so a
# capture on the far side shows real checksums, not CHECKSUM_PARTIAL stubs.
dw_csum_off() {
  local ns="$1" dev
  shift
  for dev in "$@"; do ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1; done
}

# dw_gateway: namespaces "a" -- "g" -- "b", a routed hop in the middle.
#   a0 198.18.1.1 2001:db8:1::1  <->  g0 198.18.1.2 2001:db8:1::2
#   g1 198.18.2.2 2001:db8:2::2  <->  b0 198.18.2.1 2001:db8:2::1
# g forwards IPv4 and IPv6; a and b route everything via g. Sets NS_A, NS_G, NS_B.
dw_gateway() {
  dw_ns a
  dw_ns g
  dw_ns b
  NS_A=a-$SUFFIX
  NS_G=g-$SUFFIX
  NS_B=b-$SUFFIX
  dw_link a a0 g g0
  dw_link g g1 b b0
  ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$NS_A" addr add 198.18.1.1/24 dev a0
  ip -n "$NS_A" addr add 2001:db8:1::1/64 dev a0 nodad
  ip -n "$NS_G" addr add 198.18.1.2/24 dev g0
  ip -n "$NS_G" addr add 2001:db8:1::2/64 dev g0 nodad
  ip -n "$NS_G" addr add 198.18.2.2/24 dev g1
  ip -n "$NS_G" addr add 2001:db8:2::2/64 dev g1 nodad
  ip -n "$NS_B" addr add 198.18.2.1/24 dev b0
  ip -n "$NS_B" addr add 2001:db8:2::1/64 dev b0 nodad
  ip -n "$NS_A" route add 198.18.0.0/15 via 198.18.1.2
  ip -n "$NS_A" route add 2001:db8::/32 via 2001:db8:1::2
  ip -n "$NS_B" route add 198.18.0.0/15 via 198.18.2.2
  ip -n "$NS_B" route add 2001:db8::/32 via 2001:db8:2::2
  local ma mg0 mg1 mb
  ma=$(dw_mac "$NS_A" a0)
  mg0=$(dw_mac "$NS_G" g0)
  mg1=$(dw_mac "$NS_G" g1)
  mb=$(dw_mac "$NS_B" b0)
  dw_neigh "$NS_A" a0 198.18.1.2 "$mg0"
  dw_neigh "$NS_A" a0 2001:db8:1::2 "$mg0"
  dw_neigh "$NS_G" g0 198.18.1.1 "$ma"
  dw_neigh "$NS_G" g0 2001:db8:1::1 "$ma"
  dw_neigh "$NS_G" g1 198.18.2.1 "$mb"
  dw_neigh "$NS_G" g1 2001:db8:2::1 "$mb"
  dw_neigh "$NS_B" b0 198.18.2.2 "$mg1"
  dw_neigh "$NS_B" b0 2001:db8:2::2 "$mg1"
}

# dw_sleep SECONDS: sleep, times DW_E2E_TIME_SCALE (for waits that give a
# program time to start, which takes longer under vmtest's TCG).
dw_sleep() { sleep "$(awk -v s="$1" -v k="${DW_E2E_TIME_SCALE:-1}" 'BEGIN { print s * k }')"; }

# dw_wait_file FILE [SECONDS]: wait until FILE exists (default 5 s; times
# DW_E2E_TIME_SCALE on a slow machine, as under vmtest's TCG).
dw_wait_file() {
  local i n=$(( ${2:-5} * 50 * ${DW_E2E_TIME_SCALE:-1} ))
  for ((i = 0; i < n; i++)); do
    [ -e "$1" ] && return 0
    sleep 0.02
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# dw_udp_recv NS OUT ARGS...: a traffic.py UDP receiver in the background,
# listening when this returns; its JSON result goes to OUT. Sets RECV_PID.
dw_udp_recv() {
  local ns="$1" out="$2"
  shift 2
  rm -f "$out.ready"
  ip netns exec "$ns" $TRAFFIC udp-recv --ready "$out.ready" "$@" >"$out" &
  RECV_PID=$!
  _PIDS+=("$RECV_PID")
  dw_wait_file "$out.ready"
}

# dw_tcp_sink NS OUT ARGS...: a traffic.py TCP sink in the background. Sets SINK_PID.
dw_tcp_sink() {
  local ns="$1" out="$2"
  shift 2
  rm -f "$out.ready"
  ip netns exec "$ns" $TRAFFIC tcp-sink --ready "$out.ready" "$@" >"$out" &
  SINK_PID=$!
  _PIDS+=("$SINK_PID")
  dw_wait_file "$out.ready"
}

# dw_stop PID: SIGTERM a background job and wait for it (traffic.py udp-recv
# prints its result when stopped so).
dw_stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# dw_kill9 PID: SIGKILL a background job and reap it, without bash's "Killed" notice.
dw_kill9() {
  { kill -9 "$1" && wait "$1"; } 2>/dev/null || true
}

# dw_quiet COMMAND...: run it with stdout discarded (for check).
dw_quiet() { "$@" >/dev/null; }

# dw_reap PID: wait for a background job; never fails (its output is checked instead).
dw_reap() { wait "$1" 2>/dev/null || true; }

# dw_capture NS DEV FILE [FILTER...]: tcpdump to FILE in the background,
# capturing when this returns. Sets CAP_PID. Stop it with dw_capture_stop.
dw_capture() {
  local ns="$1" dev="$2" file="$3"
  shift 3
  ip netns exec "$ns" tcpdump -i "$dev" -w "$file" -U --immediate-mode -nn "$@" 2>"$file.log" &
  CAP_PID=$!
  _PIDS+=("$CAP_PID")
  local i
  for ((i = 0; i < 250; i++)); do
    grep -q "listening on" "$file.log" 2>/dev/null && return 0
    sleep 0.02
  done
  echo "tcpdump did not start: $(cat "$file.log")" >&2
  return 1
}

# dw_capture_stop FILE: stop the capture (CAP_PID); sets CAP_DROPS to how many
# frames the kernel dropped ("?" if tcpdump did not say). Not in a $(...):
# a subshell cannot wait for the capture.
dw_capture_stop() {
  sleep 0.2
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  CAP_DROPS=$(awk '/dropped by kernel/ {print $1}' "$1.log")
  CAP_DROPS=${CAP_DROPS:-?}
}

# dw_snapshot NS DEV: everything the kernel says about an interface's hooks:
# link details (XDP), qdiscs, tc filters on both clsact hooks, TCX/XDP programs.
dw_snapshot() {
  local ns="$1" dev="$2"
  echo "== link"
  ip -n "$ns" -d link show dev "$dev"
  echo "== qdisc"
  tc -n "$ns" qdisc show dev "$dev"
  echo "== filter ingress"
  tc -n "$ns" filter show dev "$dev" ingress 2>&1
  echo "== filter egress"
  tc -n "$ns" filter show dev "$dev" egress 2>&1
  echo "== bpftool net"
  ip netns exec "$ns" bpftool net show dev "$dev" 2>&1
  echo "== tcx"
  ip netns exec "$ns" $DWQ tcx "$dev"
}

# dw_hooks NS DEV: what the kernel has on the interface's hooks, in one line:
#   "xdp:ID/MODE|none tcx ingress:[ids] egress:[ids] clsact:FILTERS-IN/FILTERS-OUT|none"
# (clsact: the number of filter priorities on each hook, or none without the qdisc).
dw_hooks() {
  local ns="$1" dev="$2" link xdp="none" cls="none"
  link=$(ip -n "$ns" -d link show dev "$dev")
  if [[ "$link" =~ prog/xdp\ id\ ([0-9]+) ]]; then
    xdp=${BASH_REMATCH[1]}
    if [[ "$link" =~ \ (xdp|xdpgeneric|xdpoffload)\  ]]; then xdp+=/${BASH_REMATCH[1]}; fi
  fi
  if tc -n "$ns" qdisc show dev "$dev" | grep -q '^qdisc clsact'; then
    # Filters counted by priority: a u32 filter prints several lines.
    cls="$(tc -n "$ns" filter show dev "$dev" ingress | grep -o 'pref [0-9]*' | sort -u | wc -l)"
    cls+="/$(tc -n "$ns" filter show dev "$dev" egress | grep -o 'pref [0-9]*' | sort -u | wc -l)"
  fi
  echo "xdp:$xdp $(ip netns exec "$ns" $DWQ tcx "$dev") clsact:$cls"
}

# dw_foreign_obj: a tiny BPF object with an XDP program (section "xdp",
# xdp_foreign, XDP_PASS) and a tc program (section "tc", tc_foreign,
# TC_ACT_UNSPEC), built once per run. Prints its path.
dw_foreign_obj() {
  local obj="$WORK/foreign.o"
  if [ ! -e "$obj" ]; then
    cat >"$WORK/foreign.c" <<'EOC'
struct xdp_md;
struct __sk_buff;
__attribute__((section("xdp"), used)) int xdp_foreign(struct xdp_md *ctx) { return 2; /* XDP_PASS */ }
__attribute__((section("tc"), used)) int tc_foreign(struct __sk_buff *skb) { return -1; /* TC_ACT_UNSPEC */ }
char _license[] __attribute__((section("license"), used)) = "GPL";
EOC
    clang -O2 -target bpf -c "$WORK/foreign.c" -o "$obj"
  fi
  echo "$obj"
}
