# shellcheck shell=bash
# The incident lab: client — wan — gw — server, four network namespaces joined
# by veth pairs, a WAN "router" that polices large EF packets with nftables,
# a real TLS server that marks its packets EF, and real curl clients.
#
#   client  c-wan 198.18.1.2/24  2001:db8:18:1::2/64
#      |
#   wan     w-cli 198.18.1.1     2001:db8:18:1::1     (forwarding; policer, loss)
#           w-gw  198.18.2.1     2001:db8:18:2::1
#      |
#   gw      g-wan 198.18.2.2     2001:db8:18:2::2     (forwarding; dscpwatch goes here)
#           g-srv 198.19.0.1     2001:db8:19::1
#      |
#   server  s-gw  198.19.0.10/24 2001:db8:19::10/64
#
# Source it (bash, as root), then: lab_up; lab_server_start; lab_policer on;
# lab_clients 3; ... The EXIT trap runs lab_down, which kills only the PIDs the
# lab started and deletes only its own namespaces; the root namespace's
# interfaces are never touched. Every name carries a per-run suffix. Addresses
# come only from 198.18.0.0/15 and 2001:db8::/32. See lab/README.md.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SUFFIX=${LAB_SUFFIX:-$(printf '%04x%04x' $$ $RANDOM)}
LAB_WORK=${LAB_WORK:-$(mktemp -d "/tmp/lab-$LAB_SUFFIX.XXXX")}
if [ -z "${LAB_PYTHON:-}" ]; then
  # Debian's python3 (its ssl is the system OpenSSL), whatever PATH says.
  if [ -x /usr/bin/python3 ]; then LAB_PYTHON=/usr/bin/python3; else LAB_PYTHON=$(command -v python3); fi
fi
LAB_SNI=${LAB_SNI:-chat.example.test}
LAB_NFT_POLICER=labpol_$LAB_SUFFIX     # nftables tables in the wan namespace
LAB_NFT_LOSS=labloss_$LAB_SUFFIX
LAB_NFT_REMARK=labremark_$LAB_SUFFIX
LAB_NFT_FORGE=labforge_$LAB_SUFFIX
LAB_NFLOG_GROUP=${LAB_NFLOG_GROUP:-46} # the policer also sends what it drops here

LAB_CLIENT=lab-client-$LAB_SUFFIX
LAB_WAN=lab-wan-$LAB_SUFFIX
LAB_GW=lab-gw-$LAB_SUFFIX
LAB_SERVER=lab-server-$LAB_SUFFIX
LAB_CLIENT_IF=c-wan
LAB_WAN_CLIENT_IF=w-cli
LAB_WAN_GW_IF=w-gw
LAB_GW_CLIENT_IF=g-wan    # gw's interface towards the WAN and the client
LAB_GW_SERVER_IF=g-srv    # gw's interface towards the server
LAB_SERVER_IF=s-gw
LAB_CLIENT_ADDR=198.18.1.2
LAB_CLIENT_ADDR6=2001:db8:18:1::2
LAB_SERVER_ADDR=198.19.0.10
LAB_SERVER_ADDR6=2001:db8:19::10
export LAB_CLIENT LAB_WAN LAB_GW LAB_SERVER LAB_GW_SERVER_IF LAB_GW_CLIENT_IF \
  LAB_CLIENT_IF LAB_WAN_CLIENT_IF LAB_WAN_GW_IF LAB_SERVER_IF \
  LAB_SERVER_ADDR LAB_SERVER_ADDR6 LAB_CLIENT_ADDR LAB_CLIENT_ADDR6 LAB_WORK LAB_SNI

# Results of lab_clients, for the caller.
# shellcheck disable=SC2034
LAB_CLIENTS_SECS=0 LAB_CLIENT_DIR=""
LAB_UP=0
LAB_V6=0
LAB_OK=0
LAB_FAILED=0
LAB_RCS=()
LAB_ERRS=()
_LAB_NAMESPACES=()
_LAB_PIDS=()
declare -gA _LAB_SERVERS=()   # "v4:443" -> pid
declare -gA _LAB_CAPTURES=()  # file -> pid
_LAB_CLIENT_RUN=0

_lab_err() { echo "lab: $*" >&2; }

lab_need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    _lab_err "the lab needs root (network namespaces, nftables); run as root"
    exit 1
  fi
}

# _lab_ns ROLE|NAME: client, wan, gw, server, or a full namespace name.
_lab_ns() {
  case "$1" in
    client) echo "$LAB_CLIENT" ;;
    wan) echo "$LAB_WAN" ;;
    gw) echo "$LAB_GW" ;;
    server) echo "$LAB_SERVER" ;;
    *) echo "$1" ;;
  esac
}

_lab_x() {
  local ns
  ns=$(_lab_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# _lab_forget PID: drop a PID from the list of what the lab started.
_lab_forget() {
  local keep=() p
  for p in "${_LAB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  _LAB_PIDS=("${keep[@]}")
}

# _lab_stop_pid PID: TERM, wait up to 2 s, then KILL. Only PIDs the lab started.
_lab_stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  _lab_forget "$pid"
}

_lab_new_ns() {
  local ns=$1 v6=$2
  ip netns add "$ns"
  _LAB_NAMESPACES+=("$ns")
  if [ "$v6" = 1 ]; then
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  else
    # IPv4 only: no IPv6 at all, so not one MLD or ND packet on the wire.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  ip -n "$ns" link set lo up
}

# _lab_link NS_A DEV_A NS_B DEV_B: a veth pair; no GSO/GRO/TSO, so every skb is
# one wire-size packet and the policer sees real packet lengths.
_lab_link() {
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  _lab_tune "$1" "$2"
  _lab_tune "$3" "$4"
}

_lab_tune() {
  ip -n "$1" link set "$2" gso_max_segs 1 gso_max_size 1500 gro_max_size 1500
  ip netns exec "$1" ethtool -K "$2" gro off gso off tso off >/dev/null 2>&1 || true
  ip -n "$1" link set "$2" up
}

_lab_mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

# _lab_subnet NS_A DEV_A ADDR_A ADDR6_A NS_B DEV_B ADDR_B ADDR6_B PLEN: addresses
# on both ends, and static neighbours (no ARP/ND on the wire).
_lab_subnet() {
  local na=$1 da=$2 a4=$3 a6=$4 nb=$5 db=$6 b4=$7 b6=$8 plen=$9 ma mb
  ip -n "$na" addr add "$a4/$plen" dev "$da"
  ip -n "$nb" addr add "$b4/$plen" dev "$db"
  ma=$(_lab_mac "$na" "$da")
  mb=$(_lab_mac "$nb" "$db")
  ip -n "$na" neigh replace "$b4" lladdr "$mb" dev "$da" nud permanent
  ip -n "$nb" neigh replace "$a4" lladdr "$ma" dev "$db" nud permanent
  if [ "$LAB_V6" = 1 ]; then
    ip -n "$na" addr add "$a6/64" dev "$da" nodad
    ip -n "$nb" addr add "$b6/64" dev "$db" nodad
    ip -n "$na" neigh replace "$b6" lladdr "$mb" dev "$da" nud permanent
    ip -n "$nb" neigh replace "$a6" lladdr "$ma" dev "$db" nud permanent
  fi
}

# lab_up [--mtu N] [--v6]: builds the four namespaces. --mtu sets the MTU of the
# client's link (both ends), and so the MSS the client announces. --v6 adds the
# IPv6 addresses and routes (IPv6 needs an MTU of at least 1280).
lab_up() {
  local mtu="" v6=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --mtu) mtu=$2; shift 2 ;;
      --v6) v6=1; shift ;;
      *) _lab_err "lab_up: unknown option $1"; return 2 ;;
    esac
  done
  if [ "$LAB_UP" = 1 ]; then
    _lab_err "lab_up: the lab is already up; call lab_down first"
    return 1
  fi
  if [ "$v6" = 1 ] && [ -n "$mtu" ] && [ "$mtu" -lt 1280 ]; then
    _lab_err "lab_up: warning: MTU $mtu < 1280, the kernel disables IPv6 on the client link"
  fi
  LAB_V6=$v6
  local ns
  for ns in "$LAB_CLIENT" "$LAB_WAN" "$LAB_GW" "$LAB_SERVER"; do _lab_new_ns "$ns" "$v6"; done
  LAB_UP=1
  _lab_link "$LAB_CLIENT" "$LAB_CLIENT_IF" "$LAB_WAN" "$LAB_WAN_CLIENT_IF"
  _lab_link "$LAB_WAN" "$LAB_WAN_GW_IF" "$LAB_GW" "$LAB_GW_CLIENT_IF"
  _lab_link "$LAB_GW" "$LAB_GW_SERVER_IF" "$LAB_SERVER" "$LAB_SERVER_IF"
  _lab_subnet "$LAB_CLIENT" "$LAB_CLIENT_IF" "$LAB_CLIENT_ADDR" "$LAB_CLIENT_ADDR6" \
    "$LAB_WAN" "$LAB_WAN_CLIENT_IF" 198.18.1.1 2001:db8:18:1::1 24
  _lab_subnet "$LAB_WAN" "$LAB_WAN_GW_IF" 198.18.2.1 2001:db8:18:2::1 \
    "$LAB_GW" "$LAB_GW_CLIENT_IF" 198.18.2.2 2001:db8:18:2::2 24
  _lab_subnet "$LAB_GW" "$LAB_GW_SERVER_IF" 198.19.0.1 2001:db8:19::1 \
    "$LAB_SERVER" "$LAB_SERVER_IF" "$LAB_SERVER_ADDR" "$LAB_SERVER_ADDR6" 24
  for ns in "$LAB_WAN" "$LAB_GW"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    [ "$v6" = 1 ] && ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
  done
  ip -n "$LAB_CLIENT" route add default via 198.18.1.1
  ip -n "$LAB_WAN" route add 198.19.0.0/24 via 198.18.2.2
  ip -n "$LAB_GW" route add default via 198.18.2.1
  ip -n "$LAB_SERVER" route add default via 198.19.0.1
  if [ "$v6" = 1 ]; then
    ip -n "$LAB_CLIENT" -6 route add default via 2001:db8:18:1::1
    ip -n "$LAB_WAN" -6 route add 2001:db8:19::/64 via 2001:db8:18:2::2
    ip -n "$LAB_GW" -6 route add default via 2001:db8:18:2::1
    ip -n "$LAB_SERVER" -6 route add default via 2001:db8:19::1
  fi
  [ -n "$mtu" ] && lab_mtu "$mtu"
  return 0
}

# lab_mtu N: sets the MTU of the client's link (both ends) on a running lab.
# Takes effect for new connections (the MSS is fixed in the SYN).
lab_mtu() {
  ip -n "$LAB_CLIENT" link set "$LAB_CLIENT_IF" mtu "$1"
  ip -n "$LAB_WAN" link set "$LAB_WAN_CLIENT_IF" mtu "$1"
}

# ---------------------------------------------------------------- nftables

# _lab_counter TABLE NAME: packets counted by a named counter in the wan namespace.
_lab_counter() {
  ip netns exec "$LAB_WAN" nft list counter inet "$1" "$2" 2>/dev/null |
    awk '$1 == "packets" { print $2; found = 1 } END { if (!found) print 0 }'
}

# lab_policer on|off [--max-len 700] [--dscp 46]: in the wan namespace, drop
# packets with that DSCP whose IP total length is above max-len, both families.
# IPv6's length field is the payload length, so the IPv6 rule compares it with
# max-len - 40. Named counters: ef_v4, ef_v6 (in table $LAB_NFT_POLICER). The
# dropped packets also go to NFLOG group $LAB_NFLOG_GROUP (lab_policer_capture_start).
# "on" always creates the table afresh: counters start at 0.
lab_policer() {
  local what=${1:?lab_policer on|off}
  shift
  local max=700 dscp=46
  while [ $# -gt 0 ]; do
    case "$1" in
      --max-len) max=$2; shift 2 ;;
      --dscp) dscp=$2; shift 2 ;;
      *) _lab_err "lab_policer: unknown option $1"; return 2 ;;
    esac
  done
  ip netns exec "$LAB_WAN" nft delete table inet "$LAB_NFT_POLICER" 2>/dev/null || true
  [ "$what" = off ] && return 0
  [ "$what" = on ] || { _lab_err "lab_policer: on or off, not '$what'"; return 2; }
  ip netns exec "$LAB_WAN" nft -f - <<EOF
table inet $LAB_NFT_POLICER {
  counter ef_v4 { comment "DSCP $dscp, IPv4 total length > $max: dropped" }
  counter ef_v6 { comment "DSCP $dscp, IPv6 payload length > $((max - 40)): dropped" }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip dscp $dscp ip length > $max counter name ef_v4 log group $LAB_NFLOG_GROUP drop
    ip6 dscp $dscp ip6 length > $((max - 40)) counter name ef_v6 log group $LAB_NFLOG_GROUP drop
  }
}
EOF
}

# lab_policer_drops [v4|v6]: packets the policer dropped (both families by default).
lab_policer_drops() {
  local v4=0 v6=0
  case "${1:-all}" in
    v4) _lab_counter "$LAB_NFT_POLICER" ef_v4 ;;
    v6) _lab_counter "$LAB_NFT_POLICER" ef_v6 ;;
    *)
      v4=$(_lab_counter "$LAB_NFT_POLICER" ef_v4)
      v6=$(_lab_counter "$LAB_NFT_POLICER" ef_v6)
      echo $((v4 + v6))
      ;;
  esac
}

# lab_policer_list: the policer's counters (packets and bytes) and its rules.
lab_policer_list() {
  ip netns exec "$LAB_WAN" nft list table inet "$LAB_NFT_POLICER" 2>/dev/null || echo "policer: off"
}

# lab_policer_reset: zeroes the policer's counters.
lab_policer_reset() {
  ip netns exec "$LAB_WAN" nft reset counters table inet "$LAB_NFT_POLICER" >/dev/null
}

# lab_policer_capture_start FILE / lab_capture_stop FILE: a pcap of exactly the
# packets the policer drops (tcpdump on nflog:GROUP in the wan namespace).
lab_policer_capture_start() {
  lab_capture_start "$LAB_WAN" "nflog:$LAB_NFLOG_GROUP" "$1"
}

# lab_loss PCT on|off: in the wan namespace, drop PCT% of the packets from the
# server (random, any DSCP). Counter: loss (lab_loss_drops). "lab_loss off" works too.
lab_loss() {
  local pct=$1 what=${2:-}
  if [ "$pct" = off ]; then what=off; pct=0; fi
  ip netns exec "$LAB_WAN" nft delete table inet "$LAB_NFT_LOSS" 2>/dev/null || true
  [ "$what" = off ] && return 0
  [ "$what" = on ] || { _lab_err "lab_loss: PCT on|off"; return 2; }
  local v6rule=""
  [ "$LAB_V6" = 1 ] && v6rule="ip6 saddr $LAB_SERVER_ADDR6 numgen random mod 100 < $pct counter name loss drop"
  ip netns exec "$LAB_WAN" nft -f - <<EOF
table inet $LAB_NFT_LOSS {
  counter loss { comment "random $pct% of the server's packets: dropped" }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip saddr $LAB_SERVER_ADDR numgen random mod 100 < $pct counter name loss drop
    $v6rule
  }
}
EOF
}

lab_loss_drops() { _lab_counter "$LAB_NFT_LOSS" loss; }

# lab_wan_remark on|off [--from 46] [--to 10]: in the wan namespace, rewrite
# DSCP from -> to on every forwarded packet, both families, before the policer
# sees it (priority -5). Counter: remarked (lab_wan_remarked). "on" always
# creates the table afresh: the counter starts at 0.
lab_wan_remark() {
  local what=${1:?lab_wan_remark on|off}
  shift
  local from=46 to=10
  while [ $# -gt 0 ]; do
    case "$1" in
      --from) from=$2; shift 2 ;;
      --to) to=$2; shift 2 ;;
      *) _lab_err "lab_wan_remark: unknown option $1"; return 2 ;;
    esac
  done
  ip netns exec "$LAB_WAN" nft delete table inet "$LAB_NFT_REMARK" 2>/dev/null || true
  [ "$what" = off ] && return 0
  [ "$what" = on ] || { _lab_err "lab_wan_remark: on or off, not '$what'"; return 2; }
  ip netns exec "$LAB_WAN" nft -f - <<EOF
table inet $LAB_NFT_REMARK {
  counter remarked { comment "DSCP $from rewritten to $to" }
  chain forward {
    type filter hook forward priority -5; policy accept;
    ip dscp $from counter name remarked ip dscp set $to
    ip6 dscp $from counter name remarked ip6 dscp set $to
  }
}
EOF
}

lab_wan_remarked() { _lab_counter "$LAB_NFT_REMARK" remarked; }

# lab_forge_reset on|off [--min-len 100]: in the wan namespace, a middlebox
# that kills TLS: every segment from the client to port 443 whose IP length is
# above min-len (the ClientHello) is dropped and answered with a forged RST
# "from the server" (nftables reject with tcp reset). Counter: forged
# (lab_forged_resets): one dropped segment and one forged RST each.
lab_forge_reset() {
  local what=${1:?lab_forge_reset on|off}
  shift
  local min=100
  while [ $# -gt 0 ]; do
    case "$1" in
      --min-len) min=$2; shift 2 ;;
      *) _lab_err "lab_forge_reset: unknown option $1"; return 2 ;;
    esac
  done
  ip netns exec "$LAB_WAN" nft delete table inet "$LAB_NFT_FORGE" 2>/dev/null || true
  [ "$what" = off ] && return 0
  [ "$what" = on ] || { _lab_err "lab_forge_reset: on or off, not '$what'"; return 2; }
  ip netns exec "$LAB_WAN" nft -f - <<EOF
table inet $LAB_NFT_FORGE {
  counter forged { comment "client segments > $min B to port 443: dropped, answered with a forged RST" }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip saddr $LAB_CLIENT_ADDR tcp dport 443 ip length > $min counter name forged reject with tcp reset
  }
}
EOF
}

lab_forged_resets() { _lab_counter "$LAB_NFT_FORGE" forged; }

# ---------------------------------------------------------------- TLS server

# lab_pki: root CA, intermediate and leaf (RSA 4096) for $LAB_SNI, the leaf with
# many SAN names, so the Certificate message is ~6-7 KB and the server's first
# flight spans several full-size segments. Once per run, in $LAB_WORK/pki;
# LAB_PKI_CACHE=DIR reuses (or fills) a directory across runs.
lab_pki() {
  local d=$LAB_WORK/pki
  [ -s "$d/chain.pem" ] && return 0
  mkdir -p "$d"
  if [ -n "${LAB_PKI_CACHE:-}" ] && [ -s "$LAB_PKI_CACHE/chain.pem" ]; then
    cp "$LAB_PKI_CACHE"/{root.pem,inter.pem,leaf.pem,chain.pem,leaf.key} "$d/"
    return 0
  fi
  local k pids=()
  for k in root inter leaf; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$d/$k.key" 2>/dev/null &
    pids+=($!)
    _LAB_PIDS+=($!)
  done
  for k in "${pids[@]}"; do
    wait "$k"
    _lab_forget "$k"
  done
  local sans="DNS:$LAB_SNI" i
  for i in $(seq -w 1 140); do sans+=",DNS:svc-$i.$LAB_SNI"; done
  cat >"$d/ext.cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $sans
EOF
  openssl req -x509 -new -key "$d/root.key" -sha256 -days 3650 -subj "/O=dscpwatch lab/CN=dscpwatch lab root CA" \
    -config "$d/ext.cnf" -extensions root -out "$d/root.pem"
  openssl req -new -key "$d/inter.key" -subj "/O=dscpwatch lab/CN=dscpwatch lab intermediate CA" -out "$d/inter.csr"
  openssl x509 -req -in "$d/inter.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial -sha256 -days 3650 \
    -extfile "$d/ext.cnf" -extensions inter -out "$d/inter.pem" 2>/dev/null
  openssl req -new -key "$d/leaf.key" -subj "/O=dscpwatch lab/CN=$LAB_SNI" -out "$d/leaf.csr"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/inter.pem" -CAkey "$d/inter.key" -CAcreateserial -sha256 -days 825 \
    -extfile "$d/ext.cnf" -extensions leaf -out "$d/leaf.pem" 2>/dev/null
  cat "$d/leaf.pem" "$d/inter.pem" >"$d/chain.pem"
  openssl verify -CAfile "$d/root.pem" -untrusted "$d/inter.pem" "$d/leaf.pem" >/dev/null
  if [ -n "${LAB_PKI_CACHE:-}" ]; then
    mkdir -p "$LAB_PKI_CACHE"
    cp "$d"/{root.pem,inter.pem,leaf.pem,chain.pem,leaf.key} "$LAB_PKI_CACHE/"
  fi
}

# lab_server_start [--tls 1.2|1.3|any] [--tos 0xb8|0|...] [--mode normal|reset|alert]
#                  [--port 443] [--v6]
# A TLS server (lab/tls_server.py) in the server namespace on $LAB_SERVER_ADDR
# (or $LAB_SERVER_ADDR6), the TOS/traffic class set on the listening socket.
# Returns once it listens. Defaults: any version, tos 0xb8 (EF), normal, 443.
# Log: $LAB_WORK/server-v4-443.log (one JSON line per connection).
# Starting a server on a port that has one replaces it.
lab_server_start() {
  local tls=any tos=0xb8 mode=normal port=443 fam=v4 addr=$LAB_SERVER_ADDR
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls=$2; shift 2 ;;
      --tos) tos=$2; shift 2 ;;
      --mode) mode=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --v6) fam=v6; addr=$LAB_SERVER_ADDR6; shift ;;
      *) _lab_err "lab_server_start: unknown option $1"; return 2 ;;
    esac
  done
  lab_pki
  local stop=(--port "$port")
  [ $fam = v6 ] && stop+=(--v6)
  lab_server_stop "${stop[@]}"
  local key=$fam:$port
  local ready=$LAB_WORK/server-$fam-$port.ready log=$LAB_WORK/server-$fam-$port.log
  rm -f "$ready"
  ip netns exec "$LAB_SERVER" "$LAB_PYTHON" "$LAB_DIR/tls_server.py" --bind "$addr" --port "$port" \
    --cert "$LAB_WORK/pki/chain.pem" --key "$LAB_WORK/pki/leaf.key" --tls "$tls" --tos "$tos" \
    --mode "$mode" --ready "$ready" --log "$log" >>"$log.stderr" 2>&1 &
  local pid=$!
  _LAB_PIDS+=("$pid")
  _LAB_SERVERS[$key]=$pid
  local i
  for i in $(seq 100); do
    [ -e "$ready" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      _lab_err "lab_server_start: the server exited; $log.stderr says:"
      cat "$log.stderr" >&2
      _lab_forget "$pid"
      unset "_LAB_SERVERS[$key]"
      return 1
    fi
    sleep 0.1
  done
  _lab_err "lab_server_start: not listening after 10 s"
  return 1
}

# lab_server_stop [--port P] [--v6] | lab_server_stop --all
lab_server_stop() {
  local port=443 fam=v4 all=0 key
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=$2; shift 2 ;;
      --v6) fam=v6; shift ;;
      --all) all=1; shift ;;
      *) _lab_err "lab_server_stop: unknown option $1"; return 2 ;;
    esac
  done
  for key in "${!_LAB_SERVERS[@]}"; do
    if [ $all = 1 ] || [ "$key" = "$fam:$port" ]; then
      _lab_stop_pid "${_LAB_SERVERS[$key]}"
      unset "_LAB_SERVERS[$key]"
    fi
  done
}

# lab_server_log [--port P] [--v6]: path of the server's JSON log.
lab_server_log() {
  local port=443 fam=v4
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=$2; shift 2 ;;
      --v6) fam=v6; shift ;;
      *) shift ;;
    esac
  done
  echo "$LAB_WORK/server-$fam-$port.log"
}

# ---------------------------------------------------------------- clients

# lab_clients N [--tls 1.2|1.3] [--timeout S] [--v6] [--parallel P] [--port 443]
# N curl clients in the client namespace, P at a time (default 4), each with
# certificate verification against the lab's root, --resolve $LAB_SNI:PORT:ADDR,
# --max-time S (default 4) and no retries. Prints
#   clients: N ok: K failed: F
# then one indented line per distinct curl error, and sets LAB_OK, LAB_FAILED,
# LAB_RCS (curl exit code per client), LAB_ERRS (curl's error line per client),
# LAB_CLIENTS_SECS (wall time) and LAB_CLIENT_DIR (bodies, stderr). Returns 0
# whatever the outcome: the counts are the result.
lab_clients() {
  local n=${1:?lab_clients N}
  shift
  local tls="" timeout=4 fam=v4 par=4 port=443
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls=$2; shift 2 ;;
      --timeout) timeout=$2; shift 2 ;;
      --v6) fam=v6; shift ;;
      --parallel) par=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      *) _lab_err "lab_clients: unknown option $1"; return 2 ;;
    esac
  done
  local addr=$LAB_SERVER_ADDR
  [ $fam = v6 ] && addr="[$LAB_SERVER_ADDR6]"
  local tlsopt=()
  case "$tls" in
    1.2) tlsopt=(--tlsv1.2 --tls-max 1.2) ;;
    1.3) tlsopt=(--tlsv1.3) ;;
    "") ;;
    *) _lab_err "lab_clients: --tls 1.2 or 1.3"; return 2 ;;
  esac
  _LAB_CLIENT_RUN=$((_LAB_CLIENT_RUN + 1))
  LAB_CLIENT_DIR=$LAB_WORK/clients-$_LAB_CLIENT_RUN
  mkdir -p "$LAB_CLIENT_DIR"
  LAB_OK=0 LAB_FAILED=0 LAB_RCS=() LAB_ERRS=()
  local t0 i j rc pids
  t0=$(date +%s.%N)
  i=1
  while [ "$i" -le "$n" ]; do
    pids=()
    for ((j = i; j < i + par && j <= n; j++)); do
      ip netns exec "$LAB_CLIENT" curl -sS --fail --max-time "$timeout" --retry 0 "${tlsopt[@]}" \
        --cacert "$LAB_WORK/pki/root.pem" --resolve "$LAB_SNI:$port:$addr" \
        -o "$LAB_CLIENT_DIR/$j.body" "https://$LAB_SNI:$port/" 2>"$LAB_CLIENT_DIR/$j.err" &
      pids+=($!)
      _LAB_PIDS+=($!)
    done
    for ((j = 0; j < ${#pids[@]}; j++)); do
      rc=0
      wait "${pids[$j]}" || rc=$?
      _lab_forget "${pids[$j]}"
      LAB_RCS+=("$rc")
      LAB_ERRS+=("$(head -n1 "$LAB_CLIENT_DIR/$((i + j)).err")")
      if [ "$rc" = 0 ]; then LAB_OK=$((LAB_OK + 1)); else LAB_FAILED=$((LAB_FAILED + 1)); fi
    done
    i=$((i + ${#pids[@]}))
  done
  # shellcheck disable=SC2034  # a result for the caller
  LAB_CLIENTS_SECS=$(echo "$t0 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
  echo "clients: $n ok: $LAB_OK failed: $LAB_FAILED"
  # One line per distinct error, with milliseconds and addresses stripped.
  for ((j = 0; j < n; j++)); do
    [ "${LAB_RCS[$j]}" = 0 ] || echo "rc=${LAB_RCS[$j]} ${LAB_ERRS[$j]}"
  done | sed -E 's/[0-9]+ milliseconds/N milliseconds/; s/ in connection to .*//' | sort | uniq -c |
    awk '{ n = $1; $1 = ""; printf "  %dx%s\n", n, $0 }'
  return 0
}

# ---------------------------------------------------------------- captures

# lab_capture_start NS IF FILE [FILTER...]: tcpdump -w FILE in a namespace (role
# name or full name); returns once tcpdump listens.
lab_capture_start() {
  local ns file=$3 iface=$2
  ns=$(_lab_ns "$1")
  shift 3
  local err=$file.tcpdump.err
  ip netns exec "$ns" tcpdump -i "$iface" -n -s 0 -U --immediate-mode -Z root -w "$file" "$@" 2>"$err" &
  local pid=$!
  _LAB_PIDS+=("$pid")
  _LAB_CAPTURES[$file]=$pid
  local i
  for i in $(seq 50); do
    grep -q "listening on" "$err" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      _lab_err "lab_capture_start: tcpdump exited: $(cat "$err")"
      _lab_forget "$pid"
      unset "_LAB_CAPTURES[$file]"
      return 1
    fi
    sleep 0.1
  done
  _lab_err "lab_capture_start: tcpdump not listening after 5 s"
  return 1
}

# lab_capture_stop [FILE]: stops that capture, or all of them; the files stay.
lab_capture_stop() {
  local f
  sleep 0.2 # let tcpdump read what is already queued
  for f in "${!_LAB_CAPTURES[@]}"; do
    if [ $# -eq 0 ] || [ "$f" = "$1" ]; then
      _lab_stop_pid "${_LAB_CAPTURES[$f]}"
      unset "_LAB_CAPTURES[$f]"
    fi
  done
}

# lab_capture_quiet FILE: waits until a running capture has not grown for a
# second (at most 8 s), so that the last packets of the handshakes (a late
# retransmission, the RST that answers it) are in it.
lab_capture_quiet() {
  local size now quiet=0
  size=$(stat -c %s "$1")
  for _ in $(seq 16); do
    sleep 0.5
    now=$(stat -c %s "$1")
    if [ "$now" = "$size" ]; then quiet=$((quiet + 1)); else quiet=0; fi
    if [ $quiet -ge 2 ]; then return 0; fi
    size=$now
  done
}

# ---------------------------------------------------------------- teardown

# lab_down: stops every process the lab started and deletes its namespaces.
# $LAB_WORK (keys, logs, captures) stays until the shell exits.
lab_down() {
  local p ns errexit=0
  [[ $- == *e* ]] && errexit=1
  set +e
  for p in "${_LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${_LAB_PIDS[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  _LAB_PIDS=()
  _LAB_SERVERS=()
  _LAB_CAPTURES=()
  for ns in "${_LAB_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  _LAB_NAMESPACES=()
  LAB_UP=0
  [ $errexit = 1 ] && set -e
  return 0
}

# The EXIT trap: lab_down, remove $LAB_WORK (unless LAB_KEEP=1), then run any
# EXIT trap that was set before this file was sourced (e.g. tests/e2e/lib.sh's).
_LAB_PREV_EXIT=$(trap -p EXIT) # "trap -- 'CMD' EXIT", or empty
if [ -n "$_LAB_PREV_EXIT" ]; then
  _lab_prev=()
  eval "_lab_prev=($_LAB_PREV_EXIT)"
  _LAB_PREV_EXIT=${_lab_prev[2]}
  unset _lab_prev
fi
_lab_on_exit() {
  local rc=$?
  set +e
  lab_down
  if [ "${LAB_KEEP:-0}" = 1 ]; then echo "lab: kept $LAB_WORK" >&2; else rm -rf "$LAB_WORK"; fi
  if [ -n "$_LAB_PREV_EXIT" ]; then
    (exit $rc)
    eval "$_LAB_PREV_EXIT"
  fi
  exit $rc
}
trap _lab_on_exit EXIT
trap 'exit 130' INT TERM
