#!/usr/bin/env bash
# Every test: installs the packages, builds, and runs the unit, kernel and
# end-to-end suites with ctest. Needs root (BPF, network namespaces).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the kernel and end-to-end tests need root (BPF_PROG_TEST_RUN, netns); run: sudo $0" >&2
  exit 1
fi
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
build=${DW_BUILD_DIR:-$here/build}
echo "kernel: $(uname -r)"
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
