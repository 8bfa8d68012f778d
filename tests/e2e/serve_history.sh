#!/usr/bin/env bash
# serve_history.sh: the DSCP history of `dscpwatch serve --history` on the
# incident lab (no policer: every handshake completes), with the unit's
# ExecStart arguments; days are set with --history-day.
#
#   day 1 (2026-11-16)  the server marks nothing: 4 handshakes, all DSCP 0
#   restart             day 2 (2026-11-17): the history of day 1 is still there
#   day 2               3 more unmarked handshakes: no alert; then the server
#                       switches to EF while serve runs: the drift alert
#                       "198.19.0.10:443 (SNI chat.example.test) started marking its
#                       ServerHello EF on 2026-11-17; before, 0" in the event log, on
#                       stderr and in dscpwatch_dscp_drift_alerts_total
#   restart again       the alert is not repeated; the counts add up
#   history command     table, --json, --server, and a clear error without a database
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"
source "$E2E_DIR/serve_lib.sh"
dwl_on_exit() { [ -n "${SERVE_PID:-}" ] && serve_stop; }

HIST=$WORK/history.db
LOG=$WORK/events.jsonl
OPTS=(--event-log="$LOG" --history="$HIST" --interval=0.3)
SRV=$LAB_SERVER_ADDR:443
MSG="$SRV (SNI $LAB_SNI) started marking its ServerHello EF on 2026-11-17; before, 0"
done_metric='dscpwatch_handshake_verdicts_total{verdict="completed",stage="established"}'

# day ADAY: the history of that day as "handshakes completed {dscp: n}".
day() {
  "$DW" history --db "$HIST" --server "$SRV" --json | $PY -c '
import json, sys
d = [x for x in json.load(sys.stdin)["days"] if x["day"] == sys.argv[1]]
print(" ".join("%d %d %s" % (x["handshakes"], x["completed"], json.dumps(x["server_hello_dscp"], sort_keys=True))
               for x in d) or "none")' "$1"
}

lab_up
lab_pki
dwl_fresh

echo "# day 1: an unmarked server"
lab_server_start --tls any --tos 0
serve_start "$LAB_GW" "${OPTS[@]}" --history-day=2026-11-16
lab_clients 4 --timeout 4 >/dev/null
expect_eq "day 1: the handshakes complete" "4 0" "$LAB_OK $LAB_FAILED"
check "day 1: the daemon saw them complete" wait_metric "$done_metric" -ge 4
serve_stop
expect_eq "day 1: 4 handshakes, 4 completed, ServerHello flights DSCP 0" '4 4 {"0": 4}' "$(day 2026-11-16)"

echo "# day 2: restart, still unmarked"
serve_start "$LAB_GW" "${OPTS[@]}" --history-day=2026-11-17
expect_eq "restart: day 1 is still in the history" '4 4 {"0": 4}' "$(day 2026-11-16)"
lab_clients 3 --timeout 4 >/dev/null
check "day 2: three unmarked handshakes seen" wait_metric "$done_metric" -ge 3
expect_eq "same marking as before: no drift alert" 0 "$(metric dscpwatch_dscp_drift_alerts_total)"

echo "# day 2: the server starts marking EF"
lab_server_start --tls any --tos 0xb8
lab_clients 4 --timeout 4 >/dev/null
expect_eq "EF server, no policer: the handshakes complete" "4 0" "$LAB_OK $LAB_FAILED"
check "the drift alert metric fires" wait_metric dscpwatch_dscp_drift_alerts_total -eq 1
drift=$(grep '"event":"dscp_drift"' "$LOG" || true)
expect_eq "one drift line in the event log" 1 "$(grep -c . <<<"$drift")"
expect_eq "the drift line's message" "$MSG" "$($PY -c 'import json,sys; print(json.loads(sys.stdin.read())["message"])' <<<"$drift")"
expect_eq "the drift line's values (server, sni, day, before, dscp)" "$SRV $LAB_SNI 2026-11-17 0 46" \
  "$($PY -c 'import json,sys; j = json.loads(sys.stdin.read()); print(j["server"], j["sni"], j["day"], j["before"], j["dscp"])' <<<"$drift")"
check "the alert is on stderr (the journal) too" grep -qF "DSCP drift: $MSG" "$WORK/serve.err"

echo "# restart again, more EF handshakes"
serve_stop
serve_start "$LAB_GW" "${OPTS[@]}" --history-day=2026-11-17
lab_clients 3 --timeout 4 >/dev/null
check "after the restart: the handshakes seen" wait_metric "$done_metric" -ge 3
expect_eq "after the restart: no repeated alert (metric)" 0 "$(metric dscpwatch_dscp_drift_alerts_total)"
expect_eq "after the restart: no repeated alert (event log)" 1 "$(grep -c '"event":"dscp_drift"' "$LOG")"
serve_stop
expect_eq "day 2: 10 handshakes, 10 completed; 3 flights DSCP 0, 7 EF" '10 10 {"0": 3, "46": 7}' "$(day 2026-11-17)"
expect_eq "day 1 unchanged" '4 4 {"0": 4}' "$(day 2026-11-16)"

text=$("$DW" history --db "$HIST")
echo "$text" | sed 's/^/# /'
check "history: the table has both days" grep -q "2026-11-16.*0 (CS0) in 100 % of 4 handshakes" <<<"$text"
check "history: and the drift alert" grep -qF "$MSG" <<<"$text"
expect_eq "history --server for another server: nothing" \
  "no history yet: \`dscpwatch serve --history PATH\` records it as handshakes finish" \
  "$("$DW" history --db "$HIST" --server 198.19.0.99:443)"
expect_error "history without a database" "no history database at $WORK/none.db" "serve --history" \
  "$DW" history --db "$WORK/none.db"

dw_done
