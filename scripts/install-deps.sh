#!/usr/bin/env bash
# Installs the Debian 12 packages that dscpwatch needs to build, test and run its lab.
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
  iproute2 iputils-ping nftables ethtool tcpdump tshark \
  python3 openssl curl procps psmisc kmod
