#!/usr/bin/env bash
# roce-dump end to end: options, exit codes, every shared capture, and
# single-bit corruption of a real frame. Usage: roce_dump_test.sh ROCE_DUMP PCAPTOOL DATA_DIR
set -uo pipefail
dump=$1 pcaptool=$2 data=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
for tool in "$dump" "$pcaptool"; do
    [ -x "$tool" ] || { echo "FAIL: $tool is not an executable"; exit 1; }
done

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_rc WANT DESCRIPTION CMD...: run CMD, keep its output in $out.
expect_rc() {
    local want=$1 what=$2 rc
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want; output: $(tail -n 3 <<<"$out")"
}

# Options.
expect_rc 0 "--help" "$dump" --help
grep -q "Usage: .*--check" <<<"$out" || fail "--help does not describe --check"
expect_rc 2 "no file" "$dump"
expect_rc 2 "unknown option" "$dump" --bogus "$data/write.pcap"
expect_rc 2 "missing file" "$dump" "$work/nope.pcap"
grep -q "nope.pcap" <<<"$out" || fail "missing file: error does not name the file"

# Every capture: the RoCEv2 frame counts of tests/data/README.md, all valid.
for spec in write:112 read:112 send:112 rc_pingpong:100 write_lat:202 atomic:64 nak:542 rnr:576 oob-perftest:0; do
    name=${spec%%:*} want=${spec##*:}
    expect_rc 0 "--check $name.pcap" "$dump" --check "$data/$name.pcap"
    grep -q ": [0-9]* frames: $want RoCEv2 valid, 0 RoCEv2 rejected" <<<"$out" ||
        fail "$name.pcap: expected $want valid RoCEv2 frames: $(tail -n 1 <<<"$out")"
    [ "$(grep -c 'icrc=ok' <<<"$out")" -eq "$want" ] || fail "$name.pcap: not $want lines with icrc=ok"
done
expect_rc 1 "--check bad-icrc-write.pcap" "$dump" --check "$data/bad-icrc-write.pcap"
[ "$(grep -c 'icrc=BAD' <<<"$out")" -eq 112 ] || fail "bad-icrc-write.pcap: not 112 lines with icrc=BAD"
expect_rc 0 "bad ICRC without --check" "$dump" "$data/bad-icrc-write.pcap"

# Frame 20 of write.pcap is an RDMA_WRITE_FIRST (1098 bytes, untagged):
# IPv4 at 14, UDP at 34, BTH at 42, RETH at 54, payload at 70, ICRC at 1094.
frame=20 last=1097
mutated=$work/m.pcap
offsets=$(seq 14 69; seq 70 97 1093; seq 1094 $last)
for off in $offsets; do
    bit=$((off % 8))
    "$pcaptool" flip "$data/write.pcap" "$mutated" $frame "$off" $bit >/dev/null || { fail "pcaptool flip $off"; continue; }
    out=$("$dump" --check "$mutated" 2>&1)
    rc=$?
    line=$(grep -E "^ +$frame " <<<"$out")
    case $off in
    36|37)   # UDP destination port (not covered by the IP checksum): not RoCEv2 at all
        grep -q "non-RoCE" <<<"$line" || fail "flip byte $off bit $bit: expected non-RoCE, got: $line" ;;
    15|22|24|25|40|41|46)   # masked or checksum fields: handled below
        ;;
    *)
        [ "$rc" -eq 1 ] || fail "flip byte $off bit $bit: --check exit $rc, expected 1: $line" ;;
    esac
done

# Masked fields: the ICRC does not cover them (Annex A17.3.3).
check_valid() {   # DESCRIPTION PATTERN: --check passes and the frame shows PATTERN
    expect_rc 0 "$1" "$dump" --check "$mutated"
    grep -E "^ +$frame " <<<"$out" | grep -q -- "$2" || fail "$1: frame line lacks '$2'"
}
"$pcaptool" setbyte "$data/write.pcap" "$mutated" $frame 15 0x03 fix-ip-csum
check_valid "ECN CE (IP checksum updated, as a router does)" "ecn=CE icrc=ok\|ecn=CE .*icrc=ok"
"$pcaptool" setbyte "$data/write.pcap" "$mutated" $frame 22 1 fix-ip-csum
check_valid "TTL 1 (IP checksum updated)" "icrc=ok"
"$pcaptool" setbyte "$data/write.pcap" "$mutated" $frame 40 0x5a
check_valid "UDP checksum set" "icrc=ok"
"$pcaptool" setbyte "$data/write.pcap" "$mutated" $frame 46 0xc0
check_valid "FECN and BECN set" "fecn becn"
# A wrong IP checksum is still a bad frame, but not a bad ICRC.
"$pcaptool" setbyte "$data/write.pcap" "$mutated" $frame 24 0x00
expect_rc 1 "IP checksum zeroed" "$dump" --check "$mutated"
grep -E "^ +$frame " <<<"$out" | grep -q "icrc=ok REJECTED: bad IPv4 checksum" ||
    fail "IP checksum zeroed: expected 'icrc=ok REJECTED: bad IPv4 checksum'"

if [ "$fails" -ne 0 ]; then
    echo "$fails roce-dump checks failed"
    exit 1
fi
echo "roce-dump: all checks passed"
