#!/usr/bin/env bash
# The lab's self-test: proves that the lab reproduces the incident on its own,
# without dscpwatch. A TLS server that marks its packets EF, behind a WAN
# router that drops EF packets longer than 700 bytes, cannot complete a
# handshake; small MTUs, unmarked servers and an unpoliced WAN can. Also checks
# the failure modes the incident must be told apart from: a reset, a TLS
# alert, random loss. Every client run is bounded (curl --max-time).
# Usage (root): lab/selftest.sh   Prints "N passed, M failed"; exits non-zero on failure.
# shellcheck disable=SC2119 # lab_* functions with optional arguments
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/lab.sh
source "$here/lab.sh"
lab_need_root

_PASSED=0
_FAILED=0
T_START=$(date +%s.%N)
C=$LAB_WORK/cap
mkdir -p "$C"
S4=$LAB_SERVER_ADDR
ROOT_LINKS_BEFORE=$(ip -o link show | awk -F': ' '{print $2}' | sort)

_ok() { echo "ok   - $*"; _PASSED=$((_PASSED + 1)); }
_bad() { echo "FAIL - $*"; _FAILED=$((_FAILED + 1)); }

# is DESCRIPTION ACTUAL OP EXPECTED: a numeric assertion (OP: -eq -ne -gt -ge -lt -le).
is() {
  local what=$1 actual=$2 op=$3 want=$4
  if test "$actual" "$op" "$want" 2>/dev/null; then
    _ok "$what ($actual $op $want)"
  else
    _bad "$what: got '$actual', wanted $op $want"
  fi
}

# check DESCRIPTION COMMAND...
check() {
  local what=$1
  shift
  if "$@"; then _ok "$what"; else _bad "$what"; fi
}

secs_since() { echo "$1 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}'; }
# pcount FILE BPF: packets in a capture that match a tcpdump filter.
pcount() { tcpdump -r "$1" -n ${2:+"$2"} 2>/dev/null | wc -l; }
# tcount FILE DISPLAY-FILTER: packets that match a tshark display filter.
tcount() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
# all_rcs_in "28" / "35 56": every client's curl exit code is in the list.
all_rcs_in() {
  local rc
  for rc in "${LAB_RCS[@]}"; do
    [[ " $1 " == *" $rc "* ]] || return 1
  done
}
all_errs_match() {
  local e
  for e in "${LAB_ERRS[@]}"; do
    grep -Eqi -- "$1" <<<"$e" || return 1
  done
}
# server_log_mark / server_tos_since MARK: TOS values of the accepted sockets
# the IPv4 server on 443 logged since the mark, sorted and unique.
server_log_mark() { wc -l <"$(lab_server_log)"; }
server_tos_since() {
  local mark=$1
  tail -n +"$((mark + 1))" "$(lab_server_log)" | grep '"peer"' | sed -E 's/.*"tos": ([0-9]+).*/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
section() { echo; echo "# $*"; }

# ------------------------------------------------------------------ set-up
t=$(date +%s.%N)
lab_up --v6
T_UP=$(secs_since "$t")
t=$(date +%s.%N)
lab_pki
T_PKI=$(secs_since "$t")
t=$(date +%s.%N)
lab_server_start --tos 0xb8
T_SRV=$(secs_since "$t")
echo "timing: lab_up --v6 ${T_UP} s; PKI (3 x RSA 4096, once per run) ${T_PKI} s; lab_server_start ${T_SRV} s"
leaf_der=$(openssl x509 -in "$LAB_WORK/pki/leaf.pem" -outform DER | wc -c)
inter_der=$(openssl x509 -in "$LAB_WORK/pki/inter.pem" -outform DER | wc -c)
echo "info: certificate chain sent: leaf $leaf_der B + intermediate $inter_der B (DER)"
is "the Certificate message spans several full-size segments" $((leaf_der + inter_der)) -ge 5000

# ------------------------------------------------------------------ (1)
# incident TLS: the EF server behind the policer; captures at the WAN router's
# ingress (from gw), at the client, and of exactly what the policer drops.
incident() {
  local v=$1 mark
  section "(1) the incident, TLS $v: server EF, WAN polices EF > 700 B"
  lab_policer on
  mark=$(server_log_mark)
  lab_capture_start wan "$LAB_WAN_GW_IF" "$C/1-$v-wan.pcap"
  lab_capture_start client "$LAB_CLIENT_IF" "$C/1-$v-client.pcap"
  lab_policer_capture_start "$C/1-$v-drops.pcap"
  lab_clients 3 --tls "$v" --timeout 4
  lab_capture_stop
  local drops
  drops=$(lab_policer_drops)
  is "TLS $v: no handshake completes" "$LAB_OK" -eq 0
  check "TLS $v: every curl timed out (rc 28), none was refused or reset" all_rcs_in 28
  is "TLS $v: the policer dropped packets" "$drops" -gt 0
  is "TLS $v: the NFLOG capture holds exactly the packets the counter counted" \
    "$(pcount "$C/1-$v-drops.pcap" "")" -eq "$drops"
  is "TLS $v: large EF segments from the server reach the WAN router" \
    "$(pcount "$C/1-$v-wan.pcap" "src host $S4 and (ip[1] & 0xfc) == 0xb8 and ip[2:2] > 700")" -gt 0
  is "TLS $v: the server retransmits them (tshark: retransmissions of EF > 700 B)" \
    "$(tcount "$C/1-$v-wan.pcap" "ip.src==$S4 && ip.dsfield.dscp==46 && ip.len>700 && tcp.analysis.retransmission")" -ge 3
  is "TLS $v: not one server packet > 700 B reaches the client" \
    "$(pcount "$C/1-$v-client.pcap" "src host $S4 and ip[2:2] > 700")" -eq 0
  is "TLS $v: the small EF packets (SYN-ACK, ACKs) do reach the client" \
    "$(pcount "$C/1-$v-client.pcap" "src host $S4 and (ip[1] & 0xfc) == 0xb8")" -gt 0
  check "TLS $v: every accepted socket inherited TOS 0xb8 from the listener (server log)" \
    test "$(server_tos_since "$mark")" = 184
  local flight
  flight=$(tshark -r "$C/1-$v-wan.pcap" -Y "tcp.stream==0 && ip.src==$S4 && tcp.len>0" \
    -T fields -e tcp.seq -e ip.len -e ip.dsfield.dscp 2>/dev/null |
    awk '!seen[$1]++ {printf "%s%s(dscp %s)", (n++ ? " " : ""), $2, $3}')
  echo "info: TLS $v server flight (first connection, each segment once), IP lengths at the WAN router: $flight"
}
incident 1.3
incident 1.2

# ------------------------------------------------------------------ (2)
section "(2) client MTU 600 + policer: the MSS keeps every EF segment <= 600 B"
lab_down
lab_up --mtu 600
lab_server_start --tos 0xb8
lab_policer on
lab_capture_start client "$LAB_CLIENT_IF" "$C/2-client.pcap"
lab_clients 3 --tls 1.3 --timeout 4
ok13=$LAB_OK
lab_clients 3 --tls 1.2 --timeout 4
lab_capture_stop
is "MTU 600: TLS 1.3 handshakes succeed" "$ok13" -eq 3
is "MTU 600: TLS 1.2 handshakes succeed" "$LAB_OK" -eq 3
is "MTU 600: the policer dropped nothing" "$(lab_policer_drops)" -eq 0
is "MTU 600: the largest server packet at the client is <= 600 B" \
  "$(pcount "$C/2-client.pcap" "src host $S4 and ip[2:2] > 600")" -eq 0
is "MTU 600: EF server data did reach the client" \
  "$(pcount "$C/2-client.pcap" "src host $S4 and (ip[1] & 0xfc) == 0xb8 and ip[2:2] > 500")" -gt 0
section "(2b) the boundary: MTU 700 passes, MTU 701 fails (live lab_mtu)"
lab_mtu 700
lab_policer on
lab_clients 2 --timeout 4
is "MTU 700: handshakes succeed" "$LAB_OK" -eq 2
is "MTU 700: the policer dropped nothing" "$(lab_policer_drops)" -eq 0
lab_mtu 701
lab_clients 2 --timeout 3
is "MTU 701: handshakes fail" "$LAB_FAILED" -eq 2
is "MTU 701: the policer dropped 701-byte packets" "$(lab_policer_drops)" -gt 0
lab_down
lab_up --v6

# ------------------------------------------------------------------ (3)
section "(3) server TOS 0 + policer: unmarked, nothing is policed"
lab_server_start --tos 0
lab_policer on
mark=$(server_log_mark)
lab_clients 3 --tls 1.3 --timeout 4
is "TOS 0: handshakes succeed" "$LAB_OK" -eq 3
is "TOS 0: the policer dropped nothing" "$(lab_policer_drops)" -eq 0
check "TOS 0: accepted sockets have TOS 0" test "$(server_tos_since "$mark")" = 0

# ------------------------------------------------------------------ (4)
section "(4) policer off: the EF server works (and is EF on the wire)"
lab_server_start --tos 0xb8
lab_policer off
lab_capture_start server "$LAB_SERVER_IF" "$C/4-server.pcap"
lab_clients 3 --tls 1.3 --timeout 4
ok13=$LAB_OK
lab_clients 2 --tls 1.2 --timeout 4
lab_capture_stop
is "no policer: TLS 1.3 handshakes succeed" "$ok13" -eq 3
is "no policer: TLS 1.2 handshakes succeed" "$LAB_OK" -eq 2
is "tcpdump in the server ns: server packets seen" "$(pcount "$C/4-server.pcap" "src host $S4")" -gt 0
is "tcpdump in the server ns: every server packet (SYN-ACK included) is EF" \
  "$(pcount "$C/4-server.pcap" "src host $S4 and (ip[1] & 0xfc) != 0xb8")" -eq 0
is "TLS 1.3's encrypted records (application_data) are EF too" \
  "$(tcount "$C/4-server.pcap" "ip.src==$S4 && ip.dsfield.dscp==46 && tls.record.opaque_type==23")" -gt 0

# ------------------------------------------------------------------ (5)
section "(5) reset mode: the server reads the ClientHello and sends a RST"
lab_server_start --tos 0xb8 --mode reset
lab_policer on
lab_clients 2 --timeout 4
is "reset: every handshake fails" "$LAB_FAILED" -eq 2
check "reset: curl reports a reset" all_errs_match "reset"
check "reset: curl fails fast (${LAB_CLIENTS_SECS} s < 2 s), not by timeout" \
  awk -v s="$LAB_CLIENTS_SECS" 'BEGIN { exit !(s < 2) }'
is "reset: the policer dropped nothing" "$(lab_policer_drops)" -eq 0

# ------------------------------------------------------------------ (6)
section "(6) alert mode: the server answers with a fatal unrecognized_name alert"
lab_server_start --tos 0xb8 --mode alert
lab_capture_start server "$LAB_SERVER_IF" "$C/6-server.pcap"
lab_clients 1 --tls 1.3 --timeout 4
f13=$LAB_FAILED
check "alert, TLS 1.3: curl reports the alert" all_errs_match "alert|unrecognized name"
lab_clients 1 --tls 1.2 --timeout 4
lab_capture_stop
is "alert, TLS 1.3: the handshake fails" "$f13" -eq 1
is "alert, TLS 1.2: the handshake fails" "$LAB_FAILED" -eq 1
check "alert, TLS 1.2: curl reports the alert" all_errs_match "alert|unrecognized name"
is "tshark: two cleartext fatal alerts (content type 21, level 2, unrecognized_name 112), EF" \
  "$(tcount "$C/6-server.pcap" "ip.src==$S4 && ip.dsfield.dscp==46 && tls.record.content_type==21 && tls.alert_message.level==2 && tls.alert_message.desc==112")" -eq 2

# ------------------------------------------------------------------ (7)
section "(7) IPv6: the EF server behind the policer"
lab_server_start --tos 0xb8 --v6
lab_policer on
lab_clients 3 --v6 --timeout 4
is "IPv6: no handshake completes" "$LAB_OK" -eq 0
check "IPv6: every curl timed out (rc 28)" all_rcs_in 28
is "IPv6: the policer's IPv6 rule dropped packets" "$(lab_policer_drops v6)" -gt 0
is "IPv6: the IPv4 rule dropped nothing" "$(lab_policer_drops v4)" -eq 0
lab_policer off
lab_clients 2 --v6 --timeout 4
is "IPv6 control, policer off: handshakes succeed" "$LAB_OK" -eq 2
lab_server_stop --v6

# ------------------------------------------------------------------ (8)
section "(8) 20% random loss from the server, unmarked, policer on: not the incident"
lab_server_start --tos 0
lab_policer on
lab_loss 20 on
lab_clients 8 --timeout 8 --parallel 8
is "loss: most handshakes succeed eventually" "$LAB_OK" -ge 5
is "loss: the loss rule dropped packets" "$(lab_loss_drops)" -gt 0
is "loss: the policer dropped nothing" "$(lab_policer_drops)" -eq 0
lab_loss off

# ------------------------------------------------------------------ teardown
section "teardown"
lab_down
is "lab_down: none of the lab's namespaces is left" "$(ip netns list | grep -c -- "-$LAB_SUFFIX" || true)" -eq 0
check "the root namespace's interfaces are unchanged" \
  test "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$ROOT_LINKS_BEFORE"
is "no process the lab started is left" "$(jobs -pr | wc -l)" -eq 0

echo
echo "selftest took $(secs_since "$T_START") s (lab_up ${T_UP} s, PKI ${T_PKI} s, server start ${T_SRV} s)"
echo "$_PASSED passed, $_FAILED failed"
[ "$_FAILED" -eq 0 ]
