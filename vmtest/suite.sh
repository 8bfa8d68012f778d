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
# The e2e tests that run in the guest: those of the control tool (attach,
# counters, remark, live toggle, pins, errors, detach). DW_GUEST_E2E (a ctest -R
# regex) overrides; ".*" runs them all. The others are named, with the reason.
default_include='^e2e_(counters|remark|toggle|persist|errors|detach)$'
include=${DW_GUEST_E2E:-$default_include}
if [[ " ${labels[*]} " == *" e2e "* ]]; then
  left_out=$(cd "$build" && ctest -N -L e2e 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: //p' | grep -Ev "$include" | tr '\n' ' ')
  if [ -n "$left_out" ]; then
    echo "guest: e2e tests not run here: $left_out"
    [ "$include" = "$default_include" ] && echo "guest:   why: they run the incident lab (TLS servers, curl clients," \
      "tcpdump/tshark, a daemon), which takes far longer than CI's budget under TCG; the kernel paths they" \
      "use (attach, counters, remark, handshake tracking, replay through BPF_PROG_TEST_RUN) run here in the" \
      "kernel label and the e2e tests above. Run them all with DW_GUEST_E2E='.*'."
  fi
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
  [ "$label" = e2e ] && args=(-R "$include")
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
