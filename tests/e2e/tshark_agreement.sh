#!/usr/bin/env bash
# tshark_agreement.sh: dscpwatch's handshake labels against tshark's, packet by
# packet, on captures taken in the incident lab where dscpwatch looks (tcpdump
# on gw's server-facing interface g-srv: the server's packets on ingress, where
# XDP sees them, the client's on egress, where tc sees them).
#
# dscpwatch has no per-packet export, so its labels are read back from what
# `diagnose --json --top 0` exposes: the per-flow history letters (one per
# segment that starts with a TLS record; T at a stage's first retransmission)
# and the per-stage segments / retransmissions / DSCP / largest length.
# tshark_agree.py derives the same from tshark's per-packet labels
# (tls.record.content_type and tls.handshake.type of the record at each
# segment start, read with -o tcp.analyze_sequence_numbers:FALSE and no
# reassembly, because tshark does not dissect retransmitted payload otherwise;
# tcp.analysis.retransmission / fast_retransmission / spurious_retransmission /
# out_of_order) and prints both; every aspect must be equal for every flow:
#   - the record letters of each side, in order
#   - each side's cleartext handshake letters follow tshark's reassembled
#     message order (first occurrence per message type)
#   - retransmitted data segments per side (and in the shared established stage)
#   - per stage: segments, retransmissions, DSCP values, largest IP length
#
# Cases: TLS 1.2 and 1.3 behind the EF policer (cleartext Certificate for 1.2,
# retransmissions), TLS 1.3 and 1.2 completing, 20% random loss (timer
# and SACK-driven retransmissions), a reset and an alert, IPv6 behind the policer.
# TSHARK_AGREE_KEEP=DIR keeps the captures, diagnoses and comparisons.
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"
dwl_on_exit() {
  if [ -n "${TSHARK_AGREE_KEEP:-}" ]; then
    mkdir -p "$TSHARK_AGREE_KEEP" && cp "$WORK"/*.pcap "$WORK"/*.json "$WORK"/*.agree "$TSHARK_AGREE_KEEP/" 2>/dev/null
  fi
}

# run CASE N CLIENT-ARGS...: a fresh dscpwatch instance and a capture on g-srv,
# N clients, then diagnose and compare.
run() {
  local name=$1 n=$2
  shift 2
  dwl_fresh
  local cap=$WORK/$name.pcap
  lab_capture_start gw "$LAB_GW_SERVER_IF" "$cap" tcp port 443
  lab_clients "$n" "$@"
  lab_capture_quiet "$cap"
  lab_capture_stop "$cap"
  dw "$LAB_GW" diagnose --json --top 0 >"$WORK/$name.json"
  RUN_OK=$LAB_OK
  agree "$name" "$n"
}

# agree CASE N: tshark_agree.py's aspects, one check each (all flows in one value).
agree() {
  local name=$1 n=$2 aspect t w flows=0
  local out=$WORK/$name.agree
  $PY "$E2E_DIR/tshark_agree.py" "$WORK/$name.pcap" "$WORK/$name.json" >"$out"
  grep '^#' "$out" || true
  while IFS=$'\t' read -r aspect t w; do
    [[ $aspect == \#* ]] && continue
    # One flow a line, so that a failure shows the flows that differ.
    expect_same "$name: $aspect" "${t// ; /$'\n'}" "${w// ; /$'\n'}"
    if [ "$aspect" = "flow seen" ]; then flows=$(wc -w <<<"${t// ; / }"); fi
  done <"$out"
  expect_eq "$name: flows compared (one per client)" "$n" "$flows"
}

lab_up --v6
lab_pki

echo "# TLS 1.2, EF server behind the policer"
lab_server_start --tls 1.2 --tos 0xb8
lab_policer on
run policer-1.2 4 --tls 1.2 --timeout 4
expect_eq "policer-1.2: no handshake completed" 0 "$RUN_OK"

echo "# TLS 1.3, EF server behind the policer"
lab_server_start --tls 1.3 --tos 0xb8
run policer-1.3 4 --tls 1.3 --timeout 4
expect_eq "policer-1.3: no handshake completed" 0 "$RUN_OK"

echo "# TLS 1.3 and 1.2 completing (policer off)"
lab_policer off
lab_server_start --tls any --tos 0xb8
run complete-1.3 4 --tls 1.3 --timeout 4
expect_eq "complete-1.3: every handshake completed" 4 "$RUN_OK"
run complete-1.2 4 --tls 1.2 --timeout 4
expect_eq "complete-1.2: every handshake completed" 4 "$RUN_OK"

echo "# 20% random loss of the server's packets"
lab_loss 20 on
run loss 10 --timeout 6 --parallel 10
lab_loss off

echo "# reset and alert"
lab_server_start --tls any --tos 0xb8 --mode reset
run reset 2 --timeout 4
lab_server_start --tls any --tos 0xb8 --mode alert
run alert-1.3 1 --tls 1.3 --timeout 4
run alert-1.2 1 --tls 1.2 --timeout 4

echo "# IPv6, EF server behind the policer"
lab_server_stop --all
lab_server_start --tos 0xb8 --v6
lab_policer on
run policer-v6 4 --v6 --timeout 4
expect_eq "policer-v6: no handshake completed" 0 "$RUN_OK"

dwl_off
dw_done
