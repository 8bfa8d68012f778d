#!/usr/bin/env bash
# The kernel-facing test labels inside the vmtest guest: what scripts/test.sh
# runs through vmtest/run after the host's ctest.
#
#   vmtest/suite.sh BUILD_DIR [LABEL...]    (default labels: kernel e2e)
#
# Prints the guest's kernel release, then runs each ctest label and times it.
# Exits non-zero if any label failed. Run it through vmtest/run with
# --tmpfs BUILD_DIR/Testing, since ctest writes there and the guest's view of
# the host is read-only.
set -uo pipefail
build=${1:?usage: vmtest/suite.sh BUILD_DIR [LABEL...]}
shift
labels=("$@")
[ ${#labels[@]} -gt 0 ] || labels=(kernel e2e)

echo "guest kernel: $(uname -r)"
[ -n "${DW_GUEST_SCALE_NOTE:-}" ] && echo "guest: $DW_GUEST_SCALE_NOTE"
cd "$build" || exit 125
failed=()
summary=()
for label in "${labels[@]}"; do
  start=$(date +%s)
  echo "=== guest ($(uname -r)): ctest -L $label"
  ctest -L "$label" --output-on-failure --timeout "${DW_GUEST_CTEST_TIMEOUT:-900}" ${DW_GUEST_CTEST_ARGS:-}
  rc=$?
  took=$(( $(date +%s) - start ))
  summary+=("label $label: $([ $rc -eq 0 ] && echo passed || echo FAILED) in ${took}s")
  [ $rc -eq 0 ] || failed+=("$label")
done
echo "=== guest ($(uname -r)) summary"
printf '  %s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ]
