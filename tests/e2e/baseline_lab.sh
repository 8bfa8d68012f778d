#!/usr/bin/env bash
# baseline_lab.sh: `dscpwatch baseline` on captures taken in the incident lab
# at the gateway (tcpdump on gw's WAN-side interface g-wan), replayed through
# the classifier.
#
#   before  the server marks nothing (TOS 0): every handshake completes
#   now     the server marks EF, the WAN polices EF > 700 B: every handshake stalls
#
# Checks: before -> now flags the change from DSCP 0 to 46 (exit 3) with the
# sentence and the counts; now -> now says "no change" (exit 0); a summary
# saved with --save gives the same comparison as the capture; bad input.
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"

N=4

# capture NAME CLIENT-ARGS...: tcpdump on gw's g-wan while N clients run.
capture() {
  local name=$1 f=$WORK/$1.pcap
  shift
  lab_capture_start gw "$LAB_GW_CLIENT_IF" "$f" tcp port 443
  lab_clients $N "$@"
  lab_capture_quiet "$f"
  lab_capture_stop
  expect_eq "$name: tcpdump dropped nothing" 1 "$(grep -c '^0 packets dropped by kernel' "$f.tcpdump.err")"
}

# bl NAME ARGS...: dscpwatch baseline --json ARGS into $WORK/NAME.json, exit code in RC,
# facts about the lab's server into F.
declare -A F
bl() {
  local name=$1
  shift
  RC=0
  "$DW" baseline --json "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || RC=$?
  F=()
  local k v
  while IFS='=' read -r k v; do F[$k]=$v; done < <($PY - "$WORK/$name.json" "$LAB_SERVER_ADDR:443" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = next((s for s in j["servers"] if s["server"] == sys.argv[2]), None)
out = {"servers": len(j["servers"]), "changed": str(j["changed"]).lower(), "date": j["baseline"]["date"]}
if s:
    out.update({
        "change": s["change"], "sni": s["sni"], "dscp": s["dscp"],
        "shares": f'{s["baseline_share"]:g} {s["now_share"]:g}',
        "before": f'{s["baseline"]["handshakes"]} {s["baseline"]["completed"]} {json.dumps(s["baseline"]["server_hello_dscp"], sort_keys=True)}',
        "now": f'{s["now"]["handshakes"]} {s["now"]["completed"]} {json.dumps(s["now"]["server_hello_dscp"], sort_keys=True)}',
        "text": s["text"],
    })
for k, v in out.items():
    print(f"{k}={v}")
EOF
  )
}

lab_up
lab_pki
lab_policer on

echo "# before: unmarked server"
lab_server_start --tls any --tos 0
capture before --timeout 4
expect_eq "before: every handshake completed" "$N" "$LAB_OK"

echo "# now: the server marks EF, the WAN polices it"
lab_server_start --tls any --tos 0xb8
capture now --timeout 4
expect_eq "now: no handshake completed" 0 "$LAB_OK"

today=$(date -u +%F)
bl change "$WORK/before.pcap" "$WORK/now.pcap"
expect_eq "change: exit status 3 (marking changed)" 3 "$RC"
expect_eq "change: one server endpoint" 1 "${F[servers]}"
expect_eq "change: flagged as changed" "changed true" "${F[change]} ${F[changed]}"
expect_eq "change: the SNI" "$LAB_SNI" "${F[sni]}"
expect_eq "change: the DSCP that moved is EF" 46 "${F[dscp]}"
expect_eq "change: its share of ServerHello flights, baseline then now" "0 1" "${F[shares]}"
expect_eq "change: baseline handshakes, completed, ServerHello DSCPs" "$N $N {\"0\": $N}" "${F[before]}"
expect_eq "change: now handshakes, completed, ServerHello DSCPs" "$N 0 {\"46\": $N}" "${F[now]}"
expect_eq "change: the baseline's date (first frame)" "$today" "${F[date]}"
expect_eq "change: the sentence" \
  "$LAB_SERVER_ADDR:443 (SNI $LAB_SNI) marked its ServerHello flight 46 (EF) in 100 % of $N handshakes; the baseline from $today shows 0 (CS0) in 100 % of $N handshakes" \
  "${F[text]}"
"$DW" baseline "$WORK/before.pcap" "$WORK/now.pcap" >"$WORK/change.txt" || true
check "change: the text says so" grep -q "^verdict: marking changed" "$WORK/change.txt"

bl same "$WORK/now.pcap" "$WORK/now.pcap"
expect_eq "identical captures: exit status 0" 0 "$RC"
expect_eq "identical captures: no change" "same false" "${F[change]} ${F[changed]}"
"$DW" baseline "$WORK/now.pcap" "$WORK/now.pcap" >"$WORK/same.txt"
check "identical captures: the text says no change" grep -q "^verdict: no change in marking" "$WORK/same.txt"

echo "# a saved summary as the baseline"
rc=0
"$DW" baseline --save "$WORK/before.json" "$WORK/before.pcap" >/dev/null || rc=$?
expect_eq "save: exit status 0" 0 "$rc"
bl saved "$WORK/before.json" "$WORK/now.pcap"
expect_eq "saved baseline: exit status 3" 3 "$RC"
expect_eq "saved baseline: same verdict as from the capture" "changed 46 0 1 $today" \
  "${F[change]} ${F[dscp]} ${F[shares]} ${F[date]}"
expect_eq "saved baseline: same counts" "$N $N {\"0\": $N}" "${F[before]}"

echo "# bad input"
expect_error "missing file" "nope.pcap" "check the path" "$DW" baseline "$WORK/nope.pcap" "$WORK/now.pcap"
printf '{"dscpwatch": "server-markings", "version": 1, "servers": [' >"$WORK/broken.json"
expect_error "broken JSON" "broken.json: not valid JSON" "--save" "$DW" baseline "$WORK/broken.json" "$WORK/now.pcap"
printf '{"something": "else"}\n' >"$WORK/other.json"
expect_error "another JSON document" "other.json: not a saved dscpwatch summary" "--save" \
  "$DW" baseline "$WORK/other.json" "$WORK/now.pcap"
printf 'not a capture\n' >"$WORK/text.pcap"
expect_error "not a capture" "text.pcap" "pcap" "$DW" baseline "$WORK/text.pcap" "$WORK/now.pcap"
expect_error "one input without --save" "two inputs" "baseline" "$DW" baseline "$WORK/now.pcap"

dw_done
