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
# qemu's TCG runs the guest some 20-40x slower than the host: the live toggle
# test streams less, longer, and asks for fewer policy switches; its checks
# (nothing lost, counters add up) are the same. Set the variables to override.
export DW_TOGGLE_PPS=${DW_TOGGLE_PPS:-200} DW_TOGGLE_SECS=${DW_TOGGLE_SECS:-15}
export DW_TOGGLE_MIN_SWITCHES=${DW_TOGGLE_MIN_SWITCHES:-10}
# Every timeout of the e2e scripts' traffic tools and waits, stretched.
export DW_E2E_TIME_SCALE=${DW_E2E_TIME_SCALE:-4}
echo "guest: smaller runs under TCG: e2e_toggle at $DW_TOGGLE_PPS datagrams/s for $DW_TOGGLE_SECS s," \
  "at least $DW_TOGGLE_MIN_SWITCHES policy switches (host: 1000/s, 10 s, 50); e2e timeouts x$DW_E2E_TIME_SCALE"
# e2e tests left out in the guest by default, and why (DW_GUEST_E2E_EXCLUDE, a
# ctest -E regex, overrides; empty runs them all).
default_exclude='^e2e_(lab_verdicts|tshark_agreement)$'
exclude=${DW_GUEST_E2E_EXCLUDE-$default_exclude}
if [ -n "$exclude" ] && [[ " ${labels[*]} " == *" e2e "* ]]; then
  echo "guest: not run here: e2e tests matching $exclude"
  [ "$exclude" = "$default_exclude" ] && echo "guest:   why: the incident lab (TLS servers, curl clients, tshark on every" \
    "capture) takes far longer than CI's budget under TCG; the same classifier paths (attach, counters," \
    "remark, handshake tracking) run here in the kernel label and the other e2e tests." \
    "Run them with DW_GUEST_E2E_EXCLUDE= (empty)."
fi
cd "$build" || exit 125
failed=()
summary=()
for label in "${labels[@]}"; do
  start=$(date +%s)
  echo "=== guest ($(uname -r)): ctest -L $label"
  # -j: the kernel tests are independent (the e2e ones are RUN_SERIAL anyway),
  # and loading the classifier (the verifier) dominates under TCG.
  args=()
  [ "$label" = e2e ] && [ -n "$exclude" ] && args=(-E "$exclude")
  ctest -L "$label" "${args[@]}" -j"${DW_GUEST_JOBS:-2}" --output-on-failure \
    --timeout "${DW_GUEST_CTEST_TIMEOUT:-900}" ${DW_GUEST_CTEST_ARGS:-}
  rc=$?
  took=$(( $(date +%s) - start ))
  summary+=("label $label: $([ $rc -eq 0 ] && echo passed || echo FAILED) in ${took}s")
  [ $rc -eq 0 ] || failed+=("$label")
done
echo "=== guest ($(uname -r)) summary"
printf '  %s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ]
