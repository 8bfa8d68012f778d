#!/usr/bin/env bash
# The main job: installs the packages, builds, and runs the self-check, which
# loads the classifier into this kernel, runs frames through it and prints the
# per-DSCP table. Touches no interface.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: loading BPF programs needs root; run: sudo $0" >&2
  exit 1
fi
"$here/scripts/install-deps.sh" >/dev/null
"$here/scripts/build.sh" >/dev/null
"${DW_BUILD_DIR:-$here/build}/user/dscpwatch" selfcheck
