# shellcheck shell=bash
# Helpers for the tests of `dscpwatch serve` (source after lib.sh and lab.sh).
# The daemon runs with the ExecStart arguments of dist/dscpwatch.service,
# parsed from the unit file, so the tests exercise the unit's command line;
# only paths, the collector and the refresh interval are swapped for the
# test's own (serve_args KEY=VALUE).

UNIT=$E2E_DIR/../../dist/dscpwatch.service
METRICS_PORT=9462 # the unit's --metrics port (in the test's namespace)

# serve_args [--opt=value]...: the unit's `serve` arguments with these values replaced (or added).
serve_args() {
  local -A ov=()
  local kv
  for kv in "$@"; do ov[${kv%%=*}]=${kv#*=}; done
  local line words=() out=() i w
  line=$(sed -n 's/^ExecStart=//p' "$UNIT")
  read -ra words <<<"$line"
  if [ "${words[1]:-}" != serve ]; then
    echo "serve_args: ExecStart in $UNIT does not run 'dscpwatch serve': $line" >&2
    return 1
  fi
  out=(serve)
  for ((i = 2; i < ${#words[@]}; i++)); do
    w=${words[i]}
    if [ -n "${ov[$w]+x}" ]; then
      out+=("$w" "${ov[$w]}")
      unset "ov[$w]"
      i=$((i + 1))
    else
      out+=("$w")
    fi
  done
  for kv in "${!ov[@]}"; do out+=("$kv" "${ov[$kv]}"); done
  printf '%s\n' "${out[@]}"
}

# unit_caps: the unit's CapabilityBoundingSet as setpriv wants it: "-all,+bpf,+perfmon,+net_admin".
unit_caps() {
  local caps c out="-all"
  caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
  for c in $caps; do
    c=${c#CAP_}
    out+=",+${c,,}"
  done
  echo "$out"
}

# serve_start NS [--opt=value]...: the daemon in the background (SERVE_PID),
# stdout/stderr appended to $WORK/serve.out / serve.err; returns once /metrics answers.
# With SERVE_CAPS=unit it runs as the unit does: only the unit's capabilities
# (setpriv --bounding-set), in NS by nsenter (which, unlike ip netns exec,
# keeps /sys/fs/bpf in view).
serve_start() {
  local ns=$1
  shift
  local args=()
  mapfile -t args < <(serve_args "$@")
  if [ "${SERVE_CAPS:-}" = unit ]; then
    nsenter --net="/run/netns/$ns" setpriv --bounding-set="$(unit_caps)" --inh-caps=-all --ambient-caps=-all \
      "$DW" --pin-root "$PIN" "${args[@]}" >>"$WORK/serve.out" 2>>"$WORK/serve.err" &
  else
    "$DW" --netns "$ns" --pin-root "$PIN" "${args[@]}" >>"$WORK/serve.out" 2>>"$WORK/serve.err" &
  fi
  SERVE_PID=$!
  _PIDS+=("$SERVE_PID")
  SERVE_NS=$ns
  local i
  for ((i = 0; i < 100; i++)); do
    scrape >/dev/null 2>&1 && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "serve did not start; stderr:" >&2
  cat "$WORK/serve.err" >&2
  return 1
}

# serve_stop: SIGTERM, and the exit status in SERVE_RC.
serve_stop() {
  SERVE_RC=0
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || SERVE_RC=$?
}

# scrape: the metrics text, from inside the daemon's namespace.
scrape() { ip netns exec "$SERVE_NS" curl -sf --max-time 3 "http://127.0.0.1:$METRICS_PORT/metrics"; }

# metric 'NAME{labels}': its value in a fresh scrape ("" when absent).
metric() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }

# wait_metric 'NAME{labels}' OP VALUE [SECONDS]: until the metric compares true (numeric test OP).
wait_metric() {
  local name=$1 op=$2 want=$3 secs=${4:-10} v i
  for ((i = 0; i < secs * 5; i++)); do
    v=$(metric "$name")
    if [ -n "$v" ] && awk -v a="$v" -v b="$want" -v op="$op" \
      'BEGIN { exit !((op == "-eq" && a == b) || (op == "-ge" && a >= b) || (op == "-gt" && a > b)) }'; then
      return 0
    fi
    sleep 0.2
  done
  echo "timed out: $name is '${v:-absent}', wanted $op $want" >&2
  return 1
}
