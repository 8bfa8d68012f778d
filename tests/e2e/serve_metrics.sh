#!/usr/bin/env bash
# serve_metrics.sh: `dscpwatch serve` on the incident lab's gateway, run with
# the ExecStart arguments of dist/dscpwatch.service (parsed from the unit).
#
#   unit        systemd-analyze verify accepts the unit (ExecStart pointed at our binary)
#   no instance the daemon starts before `attach`, says why it has nothing to read,
#               serves dscpwatch_instance_up 0, and picks the instance up once it exists
#   bad input   port taken, bad addresses, unwritable paths: one line naming cause and fix
#   metrics     scraped with curl during lab traffic; after the traffic stops, every
#               per-interface/DSCP packet and byte series, remark series and global
#               counter equals `dscpwatch stats --json`, flows equal `status --json`;
#               `promtool check metrics` accepts the text
#   event log   verdict changes and a remark mode change, one JSON object per line
#   robustness  no IPFIX collector (export errors counted, still serving); 200 metrics
#               clients that hang up mid-response; the event log's disk full (tmpfs of
#               64 KiB): the daemon logs the error, counts it, keeps serving, and
#               writes again once there is space; detach --all and attach under it
#   restart     SIGTERM exits 0 with a "stop" line; the daemon restarted with only the
#               unit's capabilities (setpriv) reads the instance and reports the same
#               counters (they live in the pinned maps)
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"
source "$E2E_DIR/serve_lib.sh"

FULL=$WORK/full # a tiny tmpfs for the event log
dwl_on_exit() {
  [ -n "${SERVE_PID:-}" ] && serve_stop
  mountpoint -q "$FULL" && umount "$FULL"
}

gt0() { [ "${1:-0}" -gt 0 ]; }

# ------------------------------------------------------------------ the unit
if command -v systemd-analyze >/dev/null; then
  sed "s#^ExecStart=[^ ]*#ExecStart=$DW#" "$UNIT" >"$WORK/dscpwatch.service"
  check "systemd-analyze verify accepts the unit" systemd-analyze verify "$WORK/dscpwatch.service"
else
  echo "FAIL - systemd-analyze is missing (install-deps.sh installs systemd)"
  _FAILS=$((_FAILS + 1))
fi
expect_match "the unit restarts on failure" '^Restart=on-failure$' "$(grep '^Restart=' "$UNIT")"
expect_match "the unit is Type=simple" '^Type=simple$' "$(grep '^Type=' "$UNIT")"
expect_eq "the unit bounds capabilities to what the tool needs" \
  "CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN" "$(grep '^CapabilityBoundingSet=' "$UNIT")"

# ------------------------------------------------------------------ start before attach
lab_up
lab_pki
lab_server_start --tls any --tos 0xb8
mkdir -p "$FULL"
mount -t tmpfs -o size=64k "dwt-$SUFFIX" "$FULL"
LOG=$FULL/events.jsonl
SERVE_OPTS=(--event-log="$LOG" --history="$WORK/history.db" --interval=0.5)
serve_start "$LAB_GW" "${SERVE_OPTS[@]}"
expect_eq "no instance yet: dscpwatch_instance_up 0" 0 "$(metric dscpwatch_instance_up)"
# serve_bad ARGS...: a daemon that must refuse to start (bounded: a regression fails, never hangs).
serve_bad() { timeout 10 "$DW" --netns "$LAB_GW" --pin-root "$PIN" serve "$@"; }
expect_error "the metrics port is taken" "cannot listen for metrics on 127.0.0.1:$METRICS_PORT" "port free" \
  serve_bad --metrics 127.0.0.1:$METRICS_PORT
expect_error "a bad metrics address" "bad metrics address '127.0.0.1:99999'" "ADDR:PORT" \
  serve_bad --metrics 127.0.0.1:99999
expect_error "a bad collector" "bad IPFIX collector '127.0.0.1'" "HOST:PORT" serve_bad --ipfix 127.0.0.1
expect_error "an event log in a missing directory" "cannot open event log $WORK/no/e.jsonl: No such file" \
  "--event-log" serve_bad --event-log "$WORK/no/e.jsonl"
expect_error "a history in a missing directory" "cannot open the history database $WORK/no/h.db" "--history" \
  serve_bad --history "$WORK/no/h.db"
check "no instance yet: the daemon says why, and how to fix it" grep -q "no live instance: .*attach" "$WORK/serve.err"

dwl_fresh "$LAB_GW_CLIENT_IF" # both of gw's interfaces
check "the daemon picks up the instance once attached" wait_metric dscpwatch_instance_up -eq 1

# ------------------------------------------------------------------ traffic, scraped while it runs
lab_policer on # the incident: the EF ServerHello flights die at the WAN
lab_clients 4 --timeout 3 --parallel 4 >/dev/null &
CLIENTS=$!
scrapes=0
for _ in 1 2 3 4 5 6; do
  scrape >"$WORK/during.prom" && scrapes=$((scrapes + 1))
  sleep 0.3
done
wait $CLIENTS || true
expect_eq "scrapes during lab traffic all answered" 6 "$scrapes"
lab_policer off
lab_clients 3 --timeout 4 >/dev/null
expect_eq "policer off: the clients complete" "3 0" "$LAB_OK $LAB_FAILED"
dw "$LAB_GW" remark zero >/dev/null
lab_clients 2 --timeout 4 >/dev/null
expect_eq "remark zero: the clients complete" "2 0" "$LAB_OK $LAB_FAILED"
check "stalled handshakes show up by the DSCP of their lost segments" \
  wait_metric 'dscpwatch_handshakes_stalled_by_lost_dscp{dscp="46"}' -ge 1
if ! check "completed verdicts are counted (5 curls completed)" \
  wait_metric 'dscpwatch_handshake_verdicts_total{verdict="completed",stage="established"}' -ge 5 15; then
  scrape | grep -e '^dscpwatch_handshake' | sed 's/^/#   /'
  dw "$LAB_GW" flows --json --top 0 | $PY -c 'import json,sys; [print("#  ", f["client"], f.get("handshake")) for f in json.load(sys.stdin)["flows"]]'
fi

# ------------------------------------------------------------------ quiescent: metrics == stats
sleep 1.5 # two refreshes after the last packet
scrape >"$WORK/metrics.prom"
dw "$LAB_GW" stats --json >"$WORK/stats.json"
dw "$LAB_GW" status --json >"$WORK/status.json"
scrape >"$WORK/metrics2.prom"
expect_same "no traffic between the two scrapes" "$(grep _total "$WORK/metrics.prom" | grep -v -e refreshes -e eventlog -e ipfix -e refresh_errors)" \
  "$(grep _total "$WORK/metrics2.prom" | grep -v -e refreshes -e eventlog -e ipfix -e refresh_errors)"
cmp_out=$($PY - "$WORK/metrics.prom" "$WORK/stats.json" "$WORK/status.json" <<'PYEOF'
import json, re, sys
prom, stats, status = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
series = {}
for line in prom.splitlines():
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
    assert m, line
    labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
    series[(m.group(1), labels)] = float(m.group(3))
def fam(name):
    return {l: v for (n, l), v in series.items() if n == name}
bad = []
def same(what, mine, theirs):
    if mine != theirs:
        bad.append(f"{what}: metrics {sorted(mine.items())[:4]} ... != stats {sorted(theirs.items())[:4]} ...")
want_p, want_b = {}, {}
for r in stats["interfaces"]:
    d = str(r["dscp"]) if r["dscp"] is not None else {"non-ip": "non_ip"}.get(r["class"], r["class"])
    k = tuple(sorted([("interface", r["interface"]), ("direction", r["direction"]), ("dscp", d)]))
    want_p[k], want_b[k] = float(r["packets"]), float(r["bytes"])
same("dscpwatch_packets_total", fam("dscpwatch_packets_total"), want_p)
same("dscpwatch_bytes_total", fam("dscpwatch_bytes_total"), want_b)
want_r = {}
for r in stats["remarks"]:
    k = tuple(sorted([("interface", r["interface"]), ("direction", r["direction"]), ("from", str(r["from"])), ("to", str(r["to"]))]))
    want_r[k] = float(r["packets"])
same("dscpwatch_remarked_packets_total", fam("dscpwatch_remarked_packets_total"), want_r)
same("dscpwatch_classifier_events_total", fam("dscpwatch_classifier_events_total"),
     {(("counter", k),): float(v) for k, v in stats["counters"].items()})
fl = status["flows"]
for name, v in (("dscpwatch_flows", fl["live"]), ("dscpwatch_flows_evicted_total", fl["evicted"]),
                ("dscpwatch_flows_created_total", fl["created"]),
                ("dscpwatch_ringbuf_dropped_events_total", stats["counters"]["events_dropped"])):
    if series.get((name, ())) != float(v):
        bad.append(f"{name}: metrics {series.get((name, ()))} != {v}")
print(f"series={len(want_p)} remarks={len(want_r)} packets={int(sum(want_p.values()))}")
for b in bad:
    print("MISMATCH " + b)
PYEOF
)
echo "# compared: $(head -1 <<<"$cmp_out")"
expect_eq "metrics equal stats --json and status --json (every series)" "" "$(grep MISMATCH <<<"$cmp_out" || true)"
check "EF traffic was counted on the gateway" grep -q 'dscpwatch_packets_total{interface="g-srv",direction="ingress",dscp="46"} [1-9]' "$WORK/metrics.prom"
check "the remark 46 -> 0 was counted" grep -q 'dscpwatch_remarked_packets_total{interface="g-srv",direction="ingress",from="46",to="0"} [1-9]' "$WORK/metrics.prom"
promtool_out=$(promtool check metrics <"$WORK/metrics.prom" 2>&1) && prc=0 || prc=$?
expect_eq "promtool check metrics: no problems (${promtool_out:-clean})" "0 " "$prc $promtool_out"

# ------------------------------------------------------------------ event log
check "event log: every line is one JSON object" $PY -c '
import json, sys
[json.loads(l) for l in open(sys.argv[1])]' "$LOG"
check "event log: stalled verdicts" grep -q '"event":"verdict".*"verdict":"stalled at ServerHello flight"' "$LOG"
check "event log: completed verdicts" grep -q '"event":"verdict".*"verdict":"completed"' "$LOG"
check "event log: the remark mode change" grep -q '"event":"remark_mode","mode":"zero","previous":"off","generation":[0-9]*' "$LOG"

# ------------------------------------------------------------------ robustness
check "collector down: IPFIX export errors are counted" wait_metric dscpwatch_ipfix_export_errors_total -ge 1
check "collector down: the daemon says so" grep -q "IPFIX export to 127.0.0.1:4739 failed" "$WORK/serve.err"

ip netns exec "$LAB_GW" $PY - "$METRICS_PORT" <<'PYEOF'
import socket, struct, sys
port = int(sys.argv[1])
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    if i % 2:
        s.recv(16)  # read a little of the response, then reset the connection
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PYEOF
check "200 clients that hung up mid-response: the daemon still runs" kill -0 "$SERVE_PID"
check "... and still serves metrics" dw_quiet scrape

before_err=$(metric dscpwatch_eventlog_errors_total)
# Fill the tmpfs: a filler file takes the free pages, then whole filler lines
# (valid JSON) take what is left in the log's last page.
dd if=/dev/zero of="$FULL/filler" bs=4k count=100 2>/dev/null || true
$PY - "$LOG" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
line = b'{"event":"test_filler"}\n'
while True:
    size = os.fstat(fd).st_size
    try:
        if os.write(fd, line) != len(line):
            os.ftruncate(fd, size)
            break
    except OSError:
        os.ftruncate(fd, size)
        break
PYEOF
dw "$LAB_GW" remark off >/dev/null                                   # a line to write
check "disk full: event log errors are counted" wait_metric dscpwatch_eventlog_errors_total -gt "$before_err"
check "disk full: the daemon logs the error" grep -q "cannot write event log .*No space left on device" "$WORK/serve.err"
check "disk full: still serving metrics" dw_quiet scrape
lines_before=$(metric dscpwatch_eventlog_lines_total)
rm -f "$FULL/filler"
dw "$LAB_GW" remark zero >/dev/null
check "space again: the event log resumes" wait_metric dscpwatch_eventlog_lines_total -gt "$lines_before"
sleep 1
check "space again: the remark change is logged" grep -q '"mode":"zero","previous":"off"' <(tail -n 3 "$LOG")

dw "$LAB_GW" detach --all >/dev/null
check "instance removed under the daemon: instance_up 0" wait_metric dscpwatch_instance_up -eq 0
check "... an event line says so" grep -q '"event":"instance".*"state":"lost"' "$LOG"
dwl_fresh "$LAB_GW_CLIENT_IF"
check "attached again: instance_up 1" wait_metric dscpwatch_instance_up -eq 1
lab_clients 2 --timeout 4 >/dev/null
check "... and it counts the new traffic" wait_metric 'dscpwatch_packets_total{interface="g-srv",direction="ingress",dscp="46"}' -gt 0

# ------------------------------------------------------------------ restart
sleep 1.5
scrape | grep -e '^dscpwatch_packets_total' -e '^dscpwatch_bytes_total' | sort >"$WORK/before.prom"
t0=$(date +%s.%N)
serve_stop
expect_eq "SIGTERM: exit status 0" 0 "$SERVE_RC"
check "SIGTERM: stops within 2 s" awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 2) }'
check "SIGTERM: the last event line is stop" grep -q '"event":"stop"' <(tail -n 1 "$LOG")
SERVE_CAPS=unit serve_start "$LAB_GW" "${SERVE_OPTS[@]}"
# CAP_NET_ADMIN is bit 12, CAP_PERFMON 38, CAP_BPF 39.
expect_eq "restarted with only the unit's capabilities ($(unit_caps))" "000000c000001000" \
  "$(awk '/^CapBnd/ { print $2 }' "/proc/$SERVE_PID/status")"
check "restarted" wait_metric dscpwatch_instance_up -eq 1
scrape | grep -e '^dscpwatch_packets_total' -e '^dscpwatch_bytes_total' | sort >"$WORK/after.prom"
check "restart: the counters are still there" gt0 "$(grep -c . "$WORK/after.prom")"
expect_same "restart: every packet and byte counter as before" "$(cat "$WORK/before.prom")" "$(cat "$WORK/after.prom")"
serve_stop
check "no crash in the daemon's stderr" bash -c "! grep -Eqi 'terminate called|segmentation|abort' '$WORK/serve.err'"

dw_done
