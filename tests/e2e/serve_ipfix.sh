#!/usr/bin/env bash
# serve_ipfix.sh: `dscpwatch serve --ipfix` into a real collector, nfcapd
# (Debian's nfdump), on the loopback of a test namespace; `nfdump` reads the
# records back. The daemon runs with the unit's ExecStart arguments (its
# collector 127.0.0.1:4739 is nfcapd here); only timeouts, intervals and paths
# are the test's.
#
#   collector down   the daemon starts before nfcapd: sends fail, are counted, nothing dies
#   templates        re-sent every 2 s: nfcapd, started late, decodes every record;
#                    tshark sees several template sets
#   records          per UDP flow direction and DSCP, IPv4 and IPv6: packets and bytes equal
#                    `dscpwatch flows --json` and what the sender sent; the DSCP (TOS byte
#                    in nfdump) is right, a flow with two DSCPs gives one record for each
#   remark           after `remark map 46=10`, a flow's records carry the post-remark DSCP
#                    (postIpDiffServCodePoint / postIpClassOfService: nfdump's dst_tos);
#                    the EF flow sent before the switch does not
#   bytes            octets are whole frames, as dscpwatch counts them (UDP payload + 42,
#                    + 62 for IPv6)
#   shutdown         SIGTERM flushes what the last interval had not exported yet
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/serve_lib.sh"
dw_need_root
for tool in nfcapd nfdump tshark; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

dw_pair
dw "$NS_B" attach b0 >/dev/null
COLLECTOR=$(serve_args | awk '$0 == "--ipfix" { getline; print }')
expect_eq "the unit exports to a local collector" "127.0.0.1:4739" "$COLLECTOR"
NFDIR=$WORK/nfcapd
mkdir -p "$NFDIR"
dw_capture "$NS_B" lo "$WORK/ipfix.pcap" udp port 4739

serve_start "$NS_B" --event-log="$WORK/events.jsonl" --history="$WORK/history.db" --interval=0.3 \
  --ipfix-idle-timeout=1 --ipfix-active-timeout=30 --ipfix-template-interval=2 --ipfix-domain=4242
check "collector down: failed sends are counted" wait_metric dscpwatch_ipfix_export_errors_total -ge 1
check "collector down: the daemon keeps serving" kill -0 "$SERVE_PID"

# The README's collector command line, in the test's namespace.
ip netns exec "$NS_B" nfcapd -b 127.0.0.1 -p 4739 -w "$NFDIR" -t 60 >"$WORK/nfcapd.log" 2>&1 &
NF_PID=$!
_PIDS+=("$NF_PID")
sleep 0.5

send() { ip netns exec "$NS_A" $TRAFFIC udp-send --dst "$1" --port "$2" --sport "$3" --tos "$4" --count "$5" --size "$6" >/dev/null; }
send 198.18.0.2 5001 41001 0xb8 40 300      # EF
send 198.18.0.2 5002 41002 0x88 15 120      # AF41
send 198.18.0.2 5003 41003 0xb8,0x00 20 200 # EF and CS0 in turn: two records
send 2001:db8::2 5005 41005 0x28 9 150      # IPv6, AF11
dw "$NS_B" remark map 46=10 >/dev/null
sleep 1 # the daemon exports what came before under the old policy at its next refresh
send 198.18.0.2 5004 41004 0xb8 12 100      # EF, remarked to AF11 at b0's XDP
# Wait until the daemon has exported everything once (idle timeout), then
# one more burst that only the shutdown flush exports.
check "records sent" wait_metric dscpwatch_ipfix_records_total -ge 6
sleep 1.5
send 198.18.0.2 5006 41006 0x00 7 100
sleep 0.2
dw "$NS_B" flows --json --top 0 >"$WORK/flows.json"
serve_stop
expect_eq "SIGTERM: exit 0" 0 "$SERVE_RC"
sleep 0.5
kill -TERM "$NF_PID"
wait "$NF_PID" || true
dw_capture_stop "$WORK/ipfix.pcap"

nfdump -R "$NFDIR" -o json >"$WORK/nfdump.json" 2>"$WORK/nfdump.err" || true
check "nfdump reads the collector's files" $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/nfdump.json"
echo "# nfcapd: $(grep -o 'Flows: .*' "$WORK/nfcapd.log" | head -1)"
check "nfcapd saw no sequence errors" grep -q "Sequence Errors: 0," "$WORK/nfcapd.log"

cmp_out=$($PY - "$WORK/nfdump.json" "$WORK/flows.json" <<'PYEOF'
import json, sys
recs, flows = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["flows"]
got = {}
for r in recs:
    if r.get("proto") != 17:
        continue
    src = r.get("src4_addr") or r.get("src6_addr")
    dst = r.get("dst4_addr") or r.get("dst6_addr")
    k = (src, r["src_port"], dst, r["dst_port"], r.get("src_tos", 0) >> 2, r.get("dst_tos", 0) >> 2)
    p, b = got.get(k, (0, 0))
    got[k] = (p + r["in_packets"], b + r["in_bytes"])
want = {}
for f in flows:
    if f["proto"] != 17:
        continue
    c, s = f["client"], f["server"]
    for d, (sa, sp, da, dp) in (("c2s", (c["addr"], c["port"], s["addr"], s["port"])),
                                ("s2c", (s["addr"], s["port"], c["addr"], c["port"]))):
        for x in f[d]["dscp"]:
            post = 10 if x["value"] == 46 and dp == 5004 else 0
            want[(sa, sp, da, dp, x["value"], post)] = (x["packets"], x["bytes"])
for k in sorted(set(got) | set(want), key=str):
    mark = "same" if got.get(k) == want.get(k) else "DIFF"
    print(f"{mark} {k[0]}:{k[1]} -> {k[2]}:{k[3]} dscp {k[4]} post {k[5]}: nfdump {got.get(k)} dscpwatch {want.get(k)}")
PYEOF
)
echo "$cmp_out" | sed 's/^/# /'
expect_eq "every UDP record in nfdump equals dscpwatch's flow table (5-tuple, DSCP, packets, bytes)" "" \
  "$(grep -v '^same' <<<"$cmp_out" || true)"
rec() { grep -F " -> $1 dscp $2 post $3:" <<<"$cmp_out" | sed -E 's/.*nfdump (\([0-9]+, [0-9]+\)|None).*/\1/'; }
expect_eq "EF flow: 40 packets, DSCP 46 (TOS 184)" "(40, 13680)" "$(rec 198.18.0.2:5001 46 0)"
expect_eq "AF41 flow: 15 packets, DSCP 34" "(15, 2430)" "$(rec 198.18.0.2:5002 34 0)"
expect_eq "mixed flow: its EF half, sent before the remark: no post DSCP" "(10, 2420)" "$(rec 198.18.0.2:5003 46 0)"
expect_eq "mixed flow: its CS0 half" "(10, 2420)" "$(rec 198.18.0.2:5003 0 0)"
expect_eq "IPv6 flow: 9 packets, DSCP 10" "(9, 1908)" "$(rec 2001:db8::2:5005 10 0)"
expect_eq "remarked flow: DSCP 46 in, postIpDiffServCodePoint 10 (dst_tos 40)" "(12, 1704)" "$(rec 198.18.0.2:5004 46 10)"
expect_eq "the shutdown flush exported the last burst" "(7, 994)" "$(rec 198.18.0.2:5006 0 0)"

# Templates: the daemon re-sent them (nfcapd came up after the first ones were lost).
tsets=$(tshark -r "$WORK/ipfix.pcap" -d udp.port==4739,cflow -Y 'cflow.flowset_id == 2' -T fields -e frame.number 2>/dev/null | wc -l)
check "templates were re-sent ($tsets template sets on the wire)" test "$tsets" -ge 2
dom=$(tshark -r "$WORK/ipfix.pcap" -d udp.port==4739,cflow -T fields -e cflow.od_id 2>/dev/null | sort -u | tr '\n' ' ')
expect_eq "observation domain as configured" "4242 " "$dom"
ies() { tshark -r "$WORK/ipfix.pcap" -d udp.port==4739,cflow -T fields -e "$1" 2>/dev/null | tr ',' '\n' | grep . | sort -un | tr '\n' ' '; }
dscps=" $(ies cflow.ip_dscp)"
check "tshark decodes ipDiffServCodePoint (IE 195): the DSCPs sent (UDP 0 10 34 46; ICMP errors too) ($dscps)" \
  bash -c "for d in 0 10 34 46; do [[ '$dscps' == *' '\$d' '* ]] || exit 1; done"
expect_eq "tshark decodes postIpDiffServCodePoint (IE 98)" "10 " "$(ies cflow.post_ip_diff_serv_code_point)"

dw_done
