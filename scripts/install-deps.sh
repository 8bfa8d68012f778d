#!/usr/bin/env bash
# Installs the Debian 12 packages that dscpwatch needs to build, test and run its lab,
# and to boot Debian's 6.1 kernel in qemu for the vmtest stage (vmtest/run).
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get install); try: sudo $0" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential cmake pkg-config git ca-certificates \
  clang llvm lld \
  libbpf-dev bpftool libelf-dev zlib1g-dev \
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev \
  libgtest-dev libgmock-dev googletest libbenchmark-dev \
  linux-libc-dev libc6-dev \
  libmnl-dev libpcap-dev \
  libcpp-httplib-dev libsqlite3-dev \
  iproute2 iputils-ping nftables ethtool tcpdump tshark \
  python3 openssl curl procps psmisc kmod \
  qemu-system-x86 busybox-static cpio xz-utils

# The daemon's tests: promtool (package prometheus) checks the metrics text,
# nfcapd/nfdump (package nfdump) receive and read back the IPFIX export, and
# systemd-analyze verifies the unit. Both packages ship services (a Prometheus
# server on :9090, nfcapd); the tests need neither, so they are installed with
# a policy-rc.d that forbids starting services, and disabled again if this run
# installed them.
fresh=()
for p in prometheus nfdump; do dpkg -s "$p" >/dev/null 2>&1 || fresh+=("$p"); done
if [ ${#fresh[@]} -gt 0 ]; then
  policy=/usr/sbin/policy-rc.d
  own_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
  fi
  apt-get install -y -q --no-install-recommends "${fresh[@]}" || { [ $own_policy = yes ] && rm -f "$policy"; exit 1; }
  [ $own_policy = yes ] && rm -f "$policy"
  for p in "${fresh[@]}"; do
    systemctl disable --now "$p" >/dev/null 2>&1 || true
  done
fi
apt-get install -y -q --no-install-recommends systemd
