#!/usr/bin/env bash
# lab_verdicts.sh: `dscpwatch diagnose --json` on every case of the incident lab
# (lab/README.md), each with the verdict it must give.
#
#   client -- wan (EF policer, random loss) -- gw (dscpwatch on g-srv) -- server
#
# dscpwatch runs in gw on the server-facing interface: XDP ingress sees the
# server's packets, tc egress the client's. Every case starts a fresh instance
# (detach --all, attach), except the remark case, which must work live on the
# instance that saw the failure.
#
#   policer 1.3 / 1.2  EF server, WAN drops EF > 700 B: every handshake stalls at
#                      the ServerHello flight; EF (46) blamed; the inferred size
#                      threshold brackets 700 (largest_arrived < 700 <= smallest_lost)
#   remark zero        same instance, live: every new handshake completes, and the
#                      server flights leave gw (where dscpwatch follows them) as DSCP 0
#   server TOS 0       policer on, unmarked server: all complete, no blame
#   loss 20%           random loss whatever the DSCP, policer off: no DSCP blame
#   reset              the server resets after the ClientHello: "reset at ClientHello"
#   alert              the server answers with a fatal unrecognized_name alert
#   IPv6 policer       the policer on the traffic class: EF blamed at the ServerHello flight
#   client MTU 600     policer on, EF server: the MSS keeps segments small; all complete
#
# Cleanup: lab_lib.sh's EXIT trap (detach, lab_down, pins, namespaces).
# LAB_PKI_CACHE=DIR is honoured if set (lab.sh); without it the PKI is made afresh.
source "$(dirname "$0")/lib.sh"
dw_need_root
source "$E2E_DIR/lab_lib.sh"

# diag NAME: diagnose --json (all flows) into $WORK/NAME.json, then the facts
# about the server (ADDR:PORT in $SRV) into the array F (see facts below).
declare -A F
diag() {
  local name=$1
  # Let the last FIN/RST of the clients that just exited cross gw.
  sleep 0.3
  dw "$LAB_GW" diagnose --json --top 0 >"$WORK/$name.json"
  F=()
  local k v
  while IFS='=' read -r k v; do F[$k]=$v; done < <(facts "$WORK/$name.json" "$SRV")
  echo "# $name: ${F[summary]}"
}

# facts FILE SERVER: key=value lines about one server's aggregate verdict and its flows.
facts() {
  $PY - "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
srv = sys.argv[2]
s = next((s for s in j["servers"] if s["server"] == srv), {})
fl = [f for f in j["flows"]
      if (f"[{f['server']}]:{f['server_port']}" if ":" in f["server"] else f"{f['server']}:{f['server_port']}") == srv]
th = s.get("threshold") or {}
lo, hi = th.get("largest_arrived"), th.get("smallest_lost")
def uniq(xs):
    return " | ".join(sorted(set(xs))) or "none"
out = {
    "servers": len(j["servers"]),
    "handshakes": s.get("handshakes", 0),
    "completed": s.get("completed", 0),
    "stalled": s.get("stalled", 0),
    "reset": s.get("reset", 0),
    "alert": s.get("alert", 0),
    "blames": str(s.get("blames_dscp")).lower(),
    "blamed": s.get("blamed_dscp"),
    "stalled_sh": (s.get("stalled_by_stage") or {}).get("server_hello", 0),
    "threshold": f"{lo} {hi}",
    "brackets700": "yes" if lo is not None and hi is not None and lo < 700 <= hi else "no",
    "alerts": uniq(s.get("alerts", [])),
    "summary": s.get("summary", "no verdict for " + srv),
    "flows": len(fl),
    "outcomes": uniq(f"{f['outcome']}@{f['stage']}" for f in fl),
    "verdicts": uniq(f["verdict"] for f in fl),
    "flow_alerts": uniq(f["alert"] for f in fl if f["alert"]),
    "sh_dscp": uniq(json.dumps(f["stages"]["server_hello"]["dscp"]) if "server_hello" in f["stages"] else "none"
                    for f in fl),
    "sh_max_len": max((f["stages"]["server_hello"]["max_len"] for f in fl if "server_hello" in f["stages"]), default=0),
    "versions": uniq(f["tls_version"] for f in fl),
    "retrans": sum(f["retransmissions"] for f in fl),
}
for k, v in out.items():
    print(f"{k}={v}")
EOF
}

# expect_blame CASE N: the policer verdict for N stalled handshakes.
expect_blame() {
  local c=$1 n=$2
  expect_eq "$c: one server verdict" 1 "${F[servers]}"
  expect_eq "$c: DSCP blamed" true "${F[blames]}"
  expect_eq "$c: blamed_dscp is EF" 46 "${F[blamed]}"
  expect_eq "$c: every handshake stalled at the ServerHello flight (stalled_by_stage.server_hello)" "$n" "${F[stalled_sh]}"
  expect_eq "$c: $n flows, none completed" "$n 0" "${F[flows]} ${F[completed]}"
  expect_eq "$c: per-flow verdicts" "stalled@server_hello" "${F[outcomes]}"
  expect_eq "$c: threshold brackets 700 (largest_arrived < 700 <= smallest_lost: ${F[threshold]})" yes "${F[brackets700]}"
  expect_eq "$c: the server flights were EF at gw" "[46]" "${F[sh_dscp]}"
}

# expect_healthy CASE N: N completed handshakes, no blame.
expect_healthy() {
  local c=$1 n=$2
  expect_eq "$c: no DSCP blamed" false "${F[blames]}"
  expect_eq "$c: every handshake completed" "$n $n 0" "${F[handshakes]} ${F[completed]} ${F[stalled]}"
  expect_eq "$c: per-flow verdicts" "completed@established" "${F[outcomes]}"
}

gt0() { [ "$1" -gt 0 ]; }

N=4 # clients per policer case: one batch of 4 in parallel, curl --max-time 4

# --------------------------------------------------------------- IPv4 + IPv6 lab
lab_up --v6
lab_pki
SRV=$LAB_SERVER_ADDR:443

# (1) and (2): the incident, TLS 1.3 and TLS 1.2.
for v in 1.3 1.2; do
  echo "# policer, TLS $v: EF server, WAN drops EF > 700 B"
  lab_server_start --tls "$v" --tos 0xb8
  lab_policer on
  dwl_fresh
  lab_clients $N --tls "$v" --timeout 4
  expect_eq "policer $v: no handshake completes" "0 $N" "$LAB_OK $LAB_FAILED"
  check "policer $v: the policer dropped packets" gt0 "$(lab_policer_drops v4)"
  diag "policer-$v"
  expect_blame "policer $v" $N
  expect_eq "policer $v: TLS version seen" "TLS $v" "${F[versions]}"
done

# (3) remark zero, live, on the instance that saw TLS 1.2 fail. Its stalled
# flows are cleared first (reset --flows keeps the attachment and the policy),
# so the verdict is about the new handshakes only.
echo "# remark zero on the live instance: new handshakes"
prog_before=$(ip -n "$LAB_GW" -d link show dev "$LAB_GW_SERVER_IF" | grep -o 'prog/xdp id [0-9]*')
dw "$LAB_GW" reset --flows >/dev/null
dw "$LAB_GW" remark zero >/dev/null
lab_server_start --tls any --tos 0xb8
lab_policer on
lab_clients $N --tls 1.3 --timeout 4
ok13="$LAB_OK $LAB_FAILED"
lab_clients $N --tls 1.2 --timeout 4
expect_eq "remark zero: every new TLS 1.3 handshake completes" "$N 0" "$ok13"
expect_eq "remark zero: every new TLS 1.2 handshake completes" "$N 0" "$LAB_OK $LAB_FAILED"
expect_eq "remark zero: the policer dropped nothing" 0 "$(lab_policer_drops)"
diag remark-zero
expect_healthy "remark zero" $((2 * N))
expect_eq "remark zero: server flights are DSCP 0 in dscpwatch's view (stages.server_hello.dscp)" "[0]" "${F[sh_dscp]}"
expect_eq "remark zero: both TLS versions" "TLS 1.2 | TLS 1.3" "${F[versions]}"
expect_eq "remark zero: the same XDP program, not reattached" "$prog_before" \
  "$(ip -n "$LAB_GW" -d link show dev "$LAB_GW_SERVER_IF" | grep -o 'prog/xdp id [0-9]*')"
dw "$LAB_GW" remark off >/dev/null

# (4) an unmarked server behind the policer.
echo "# server TOS 0, policer on"
lab_server_start --tls any --tos 0
lab_policer on
dwl_fresh
lab_clients $N --tls 1.3 --timeout 4
ok13="$LAB_OK $LAB_FAILED"
lab_clients $N --tls 1.2 --timeout 4
expect_eq "TOS 0: TLS 1.3 handshakes complete" "$N 0" "$ok13"
expect_eq "TOS 0: TLS 1.2 handshakes complete" "$N 0" "$LAB_OK $LAB_FAILED"
diag tos0
expect_healthy "TOS 0" $((2 * N))
expect_eq "TOS 0: server flights are DSCP 0" "[0]" "${F[sh_dscp]}"

# (5) random loss of the server's packets, whatever their DSCP; no policer.
echo "# 20% random loss, policer off, EF server"
lab_server_start --tls any --tos 0xb8
lab_policer off
lab_loss 20 on
dwl_fresh
lab_clients 10 --timeout 6 --parallel 10
diag loss
check "loss: the loss rule dropped packets" gt0 "$(lab_loss_drops)"
expect_eq "loss: no DSCP blamed (blames_dscp)" false "${F[blames]}"
expect_eq "loss: every handshake has a verdict ($LAB_OK of 10 curls completed)" 10 "${F[handshakes]}"
check "loss: dscpwatch saw the retransmissions it caused (${F[retrans]})" gt0 "${F[retrans]}"
echo "# loss: ${F[completed]} completed, ${F[stalled]} stalled; flows: ${F[outcomes]}"
lab_loss off

# (6) a server that resets after the ClientHello.
echo "# reset mode"
lab_server_start --tls any --tos 0xb8 --mode reset
lab_policer on
dwl_fresh
lab_clients 2 --timeout 4
expect_eq "reset: both handshakes fail" 2 "$LAB_FAILED"
diag reset
expect_eq "reset: per-flow outcome and stage" "reset@client_hello" "${F[outcomes]}"
expect_eq "reset: per-flow verdict" "reset at ClientHello" "${F[verdicts]}"
expect_eq "reset: server counts (handshakes reset stalled)" "2 2 0" "${F[handshakes]} ${F[reset]} ${F[stalled]}"
expect_eq "reset: no DSCP blamed" false "${F[blames]}"

# (7) a fatal unrecognized_name alert, TLS 1.3 and 1.2.
echo "# alert mode"
lab_server_start --tls any --tos 0xb8 --mode alert
dwl_fresh
lab_clients 1 --tls 1.3 --timeout 4
f13=$LAB_FAILED
lab_clients 1 --tls 1.2 --timeout 4
expect_eq "alert: both handshakes fail" "1 1" "$f13 $LAB_FAILED"
diag alert
expect_eq "alert: per-flow outcome" "alert@client_hello" "${F[outcomes]}"
expect_eq "alert: per-flow alert name" "unrecognized_name" "${F[flow_alerts]}"
expect_eq "alert: per-flow verdict" "alert unrecognized_name at ClientHello" "${F[verdicts]}"
expect_eq "alert: server counts (handshakes alert stalled)" "2 2 0" "${F[handshakes]} ${F[alert]} ${F[stalled]}"
expect_eq "alert: server's alert list" "unrecognized_name" "${F[alerts]}"
expect_eq "alert: no DSCP blamed" false "${F[blames]}"

# (8) IPv6: the policer on the traffic class.
echo "# IPv6, policer on"
lab_server_stop --all
lab_server_start --tos 0xb8 --v6
lab_policer on
dwl_fresh
lab_clients $N --v6 --timeout 4
expect_eq "IPv6 policer: no handshake completes" "0 $N" "$LAB_OK $LAB_FAILED"
check "IPv6 policer: the IPv6 rule dropped packets" gt0 "$(lab_policer_drops v6)"
SRV="[$LAB_SERVER_ADDR6]:443"
diag policer-v6
expect_blame "IPv6 policer" $N

# --------------------------------------------------------------- client MTU 600
echo "# client MTU 600, policer on, EF server"
dwl_off
lab_down
lab_up --mtu 600
SRV=$LAB_SERVER_ADDR:443
lab_server_start --tls any --tos 0xb8
lab_policer on
dwl_fresh
lab_clients $N --tls 1.3 --timeout 4
ok13="$LAB_OK $LAB_FAILED"
lab_clients $N --tls 1.2 --timeout 4
expect_eq "MTU 600: TLS 1.3 handshakes complete" "$N 0" "$ok13"
expect_eq "MTU 600: TLS 1.2 handshakes complete" "$N 0" "$LAB_OK $LAB_FAILED"
expect_eq "MTU 600: the policer dropped nothing" 0 "$(lab_policer_drops)"
diag mtu600
expect_healthy "MTU 600" $((2 * N))
expect_eq "MTU 600: the server flights were EF" "[46]" "${F[sh_dscp]}"
check "MTU 600: no server segment above 600 B (largest ${F[sh_max_len]})" test "${F[sh_max_len]}" -le 600
dwl_off

dw_done
