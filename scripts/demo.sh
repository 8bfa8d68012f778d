#!/usr/bin/env bash
# The main job: installs the packages, builds, and runs the incident lab demo
# (lab/demo.sh): handshakes failing through an EF policer, `dscpwatch diagnose`
# naming the cause, `dscpwatch remark zero` fixing it live. It touches only
# network namespaces it creates. `dscpwatch selfcheck` is the quick check that
# needs no namespaces.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: loading BPF programs needs root; run: sudo $0" >&2
  exit 1
fi
"$here/scripts/install-deps.sh" >/dev/null
"$here/scripts/build.sh" >/dev/null
DW="${DW_BUILD_DIR:-$here/build}/user/dscpwatch" exec "$here/lab/demo.sh"
