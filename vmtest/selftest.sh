#!/usr/bin/env bash
# vmtest/selftest.sh: the runner's own contract, checked on the real guest
# (about a minute under TCG): the command runs on Debian's 6.1 kernel, with the
# host's tools, in the caller's directory; its exit status comes back; a hang
# ends in exit 124 with a message. Needs root, like vmtest/run.
set -uo pipefail
run="$(cd "$(dirname "$0")" && pwd)/run"
fails=0
check() {
  local what="$1" want="$2" got="$3"
  if [ "$want" = "$got" ]; then echo "ok   - $what"; else echo "FAIL - $what: want '$want', got '$got'"; fails=$((fails + 1)); fi
}

kver=$("$run" --print-kernel) || { echo "FAIL - cannot prepare the guest kernel"; exit 1; }
out=$(cd /usr/share && DW_SELFTEST_VAR=passed "$run" --timeout 120 -- \
  bash -c 'echo "$(uname -r) $PWD $DW_SELFTEST_VAR $(command -v ip) $(ls /sys/fs/bpf | wc -l)"; exit 7' 2>/dev/null)
rc=$?
check "exit status of the command comes back" 7 "$rc"
check "guest kernel, caller's directory, DW_* passed, host's ip, empty bpffs" \
  "$kver /usr/share passed $(command -v ip) 0" "$(grep -m1 "^$kver " <<<"$out")"
err=$("$run" --timeout 20 -- sleep 600 2>&1 >/dev/null)
rc=$?
check "a hang ends in exit 124" 124 "$rc"
check "... and says so" yes "$(grep -q 'HANG: the guest did not finish within 20s' <<<"$err" && echo yes || echo no)"
echo "$([ $fails -eq 0 ] && echo passed || echo "$fails FAILED")"
[ $fails -eq 0 ]
