#!/usr/bin/env bash
# Every test: installs the packages, builds, runs the unit, kernel and
# end-to-end suites with ctest on the host's kernel, then runs the kernel and
# end-to-end labels again inside Debian 12's own 6.1 kernel in qemu (vmtest/).
# Needs root (BPF, network namespaces).
#
#   sudo ./scripts/test.sh [CTEST ARGS...]
#
# DW_SKIP_VMTEST=1 skips the qemu stage (quick local runs); the summary says so.
# DW_VMTEST_LABELS chooses the labels run in the guest (default "kernel e2e").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the kernel and end-to-end tests need root (BPF_PROG_TEST_RUN, netns); run: sudo $0" >&2
  exit 1
fi
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
build=${DW_BUILD_DIR:-$here/build}
host_kernel=$(uname -r)

echo "=== host kernel: $host_kernel"
start=$(date +%s)
host_rc=0
(cd "$build" && ctest --output-on-failure --timeout 900 "$@") || host_rc=$?
host_took=$(( $(date +%s) - start ))

vm_line="skipped (DW_SKIP_VMTEST=1)"
vm_rc=0
if [ "${DW_SKIP_VMTEST:-0}" != 1 ]; then
  echo "=== vmtest: Debian 12's kernel in qemu (set DW_SKIP_VMTEST=1 to skip)"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$here/vmtest/run" --timeout "${DW_VMTEST_TIMEOUT:-2400}" --tmpfs "$build/Testing" -- \
    "$here/vmtest/suite.sh" "$build" ${DW_VMTEST_LABELS:-kernel e2e} || vm_rc=$?
  vm_took=$(( $(date +%s) - start ))
  guest_kernel=$("$here/vmtest/run" --print-kernel 2>/dev/null || echo "(Debian 12's 6.1)")
  vm_line="guest kernel $guest_kernel: $([ $vm_rc -eq 0 ] && echo passed || echo "FAILED (exit $vm_rc)") in ${vm_took}s"
fi

echo "=== summary"
echo "  host kernel $host_kernel: $([ $host_rc -eq 0 ] && echo passed || echo "FAILED (exit $host_rc)") in ${host_took}s"
echo "  $vm_line"
[ $host_rc -eq 0 ] && [ $vm_rc -eq 0 ]
