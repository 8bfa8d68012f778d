# Harness for end-to-end tests on the incident lab (lab/lab.sh), with
# dscpwatch on the gateway's server-facing interface (XDP ingress sees the
# server's packets, tc egress the client's). Source it after lib.sh:
#
#   source "$(dirname "$0")/lib.sh"; dw_need_root; source "$E2E_DIR/lab_lib.sh"
#
# It gives dwl_fresh (a fresh instance on gw) and dwl_off (detach it), and sets
# the EXIT trap: detach, then the test's own dwl_on_exit if it defines one,
# then lab.sh's teardown and lib.sh's cleanup (pins, namespaces, work dir).
# The lab's names and the pin root share the run's suffix.
LAB_SUFFIX=$SUFFIX
# shellcheck source=lab/lab.sh
source "$E2E_DIR/../../lab/lab.sh"

DWL_ON=0
# dwl_off: detach dscpwatch from the lab's gw (and drop the pins), if attached.
dwl_off() {
  if [ "$DWL_ON" = 1 ] || [ -e "$PIN" ]; then
    dw "$LAB_GW" detach --all >/dev/null 2>&1 || true
  fi
  DWL_ON=0
}

# dwl_fresh [ATTACH-OPTIONS...]: a fresh dscpwatch instance on gw's server-facing interface.
dwl_fresh() {
  dwl_off
  dw "$LAB_GW" attach "$LAB_GW_SERVER_IF" "$@" >/dev/null
  DWL_ON=1
}

_dwl_exit() {
  local rc=$?
  set +e
  dwl_off
  if declare -F dwl_on_exit >/dev/null; then dwl_on_exit; fi
  (exit $rc)
  _lab_on_exit # lab_down, then lib.sh's cleanup; exits with rc
}
trap _dwl_exit EXIT
