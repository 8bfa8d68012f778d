#!/usr/bin/env bash
# The incident, diagnosed and fixed in about a minute.
#
# Builds the lab (client - WAN router with an EF policer - gateway - TLS server
# that marks EF), attaches dscpwatch on the gateway, shows the handshakes
# failing, lets `dscpwatch diagnose` name the cause, applies the one-command fix
# (`dscpwatch remark zero`, keeping VoIP's EF), shows the handshakes succeeding,
# and tears everything down. Needs root; touches only namespaces it creates.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DW=${DW:-$here/../build/user/dscpwatch}
[ -x "$DW" ] || { echo "demo: no dscpwatch binary at $DW (build first: scripts/build.sh)" >&2; exit 1; }
# Our cleanup is set before lab.sh is sourced: lab.sh's exit trap tears the
# lab down and then runs the trap that was set before it.
PIN=
dwg() { "$DW" --netns "$LAB_GW" --pin-root "$PIN" "$@"; }
_demo_cleanup() { if [ -n "$PIN" ] && [ -d "$PIN" ]; then dwg detach --all >/dev/null 2>&1 || rm -rf "$PIN"; fi; }
trap '_demo_cleanup' EXIT
# shellcheck source=lab/lab.sh
source "$here/lab.sh"
lab_need_root
PIN=/sys/fs/bpf/dscpwatch-demo-$LAB_SUFFIX
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The lab: client -- WAN router (polices EF above 700 B) -- gateway -- chat server (marks EF)"
lab_up
lab_policer on --max-len 700
lab_server_start --tls 1.3 --tos 0xb8
echo "server $LAB_SERVER_ADDR:443 (SNI chat.example.test) marks its packets DSCP EF (46)"

step "2. dscpwatch on the gateway's server-facing NIC (XDP in, tc out)"
dwg attach "$LAB_GW_SERVER_IF"

step "3. Staff log in: TLS handshakes through the WAN"
lab_clients 6 --timeout 4 --parallel 6
echo "WAN policer drops so far: $(lab_policer_drops)"

step "4. dscpwatch diagnose"
dwg diagnose --top 3

step "5. The fix, live: dscpwatch remark zero --exempt-port udp:16384-32767"
dwg remark zero --exempt-port udp:16384-32767

step "6. Staff log in again"
lab_clients 6 --timeout 4 --parallel 6
[ "$LAB_FAILED" -eq 0 ] && echo "all handshakes complete"

step "7. dscpwatch diagnose, after the fix"
dwg diagnose --top 3

step "8. What the gateway counted and rewrote"
dwg stats
dwg flows --top 4 --columns proto,client,server,pkts_s2c,dscp_s2c,stage,history

step "9. Tear down"
dwg detach --all
echo "done: the lab is removed on exit"
