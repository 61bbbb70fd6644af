# tests/cli_trace.sh - the trace at the speed of the loop (issue 18): --zstd writes
# trace.jsonl.zst whose decompressed bytes hash to the printed hash (the same as the plain
# trace's), --trace levels change the trace and nothing else in summary.json, and a
# compressed trace that cannot be written is an error like a plain one.
set -euo pipefail
source tests/lib.sh "$@"
T="topologies/small.lua tests/lua/faults_each.lua"
command -v zstd >/dev/null || { echo "FAIL: the zstd command is missing (./dev installs it)" >&2; exit 1; }

# ---- --zstd: the file is zstd, the hash is over the uncompressed lines ------------------
expect_exit 0 run $T -q --out "$TMP/plain"
expect_exit 0 run $T -q --out "$TMP/z" --zstd
expect_trace_hash "$TMP/z"
expect_same_json "$TMP/plain/summary.json" "$TMP/z/summary.json" .trace_hash "the compressed run's hash"
expect_json "$TMP/z/summary.json" .trace '.complete == true and .file == "trace.jsonl.zst"' "the summary names the compressed file"
[ -s "$TMP/z/trace.jsonl.zst" ] || fail "no trace.jsonl.zst"
[ -e "$TMP/z/trace.jsonl" ] && fail "--zstd also wrote trace.jsonl"
ls "$TMP/z" | grep -q '\.part$' && fail "a complete compressed run left a .part file: $(ls "$TMP/z")"
[ -e "$TMP/z/PARTIAL" ] && fail "a complete compressed run left PARTIAL"
[ "$(zstd -dc "$TMP/z/trace.jsonl.zst" | sha256sum | cut -c1-64)" = "$(trace_hash "$TMP/z")" ] ||
    fail "zstd -dc trace.jsonl.zst | sha256sum is not the printed hash"
cmp -s <(zstd -dc "$TMP/z/trace.jsonl.zst") "$TMP/plain/trace.jsonl" || fail "the decompressed trace differs from the plain one"
[ "$(stat -c %s "$TMP/z/trace.jsonl.zst")" -lt "$(( $(stat -c %s "$TMP/plain/trace.jsonl") / 4 ))" ] ||
    fail "trace.jsonl.zst is not a quarter of trace.jsonl: not compressed?"
# a plain run in the same directory removes the compressed one of the run before
expect_exit 0 run $T -q --out "$TMP/z"
[ -e "$TMP/z/trace.jsonl.zst" ] && fail "the previous run's trace.jsonl.zst is left beside a new trace.jsonl"

# ---- a compressed trace that cannot be written: exit 4, PARTIAL, no hash ------------------
mkdir -p "$TMP/full"
ln -s /dev/full "$TMP/full/trace.jsonl.zst.part"
expect_exit 4 run $T -q --out "$TMP/full" --zstd
expect_match "$TMP/err" "^renkei: cannot write $TMP/full/trace\.jsonl\.zst\.part: No space left on device$"
S="$TMP/full/summary.json"
expect_json "$S" .trace '.complete == false and .file == "trace.jsonl.zst.part" and (.error | test("No space left"))' "the summary says the trace is not there"
expect_json "$S" .trace_hash '. == ""' "no trace hash for a trace that is not there"
expect_json "$S" '[.complete, .exit_status]' '. == [false, 4]' "incomplete, exit status 4"
[ -e "$TMP/full/PARTIAL" ] || fail "no PARTIAL beside a failed compressed trace"

# ---- --trace levels: the trace changes, nothing else in summary.json ----------------------
# (wall-clock figures differ from run to run; replay names the level)
rest() { jq -S 'del(.trace_hash, .trace_records, .trace_level, .trace, .replay, .wall_s, .events_per_s, .sim_per_wall)' "$1"; }
expect_exit 0 run $T -q --out "$TMP/flows" --trace flows
expect_exit 0 run $T -q --out "$TMP/none" --trace none
expect_exit 0 run $T -q --out "$TMP/all" --trace all
for l in flows none all; do
    cmp -s <(rest "$TMP/plain/summary.json") <(rest "$TMP/$l/summary.json") ||
        fail "--trace $l changed summary.json beyond the trace fields: $(diff <(rest "$TMP/plain/summary.json") <(rest "$TMP/$l/summary.json") | head -5)"
    expect_json "$TMP/$l/summary.json" .trace_level ". == \"$l\"" "the level is in the summary"
done
expect_same_json "$TMP/plain/summary.json" "$TMP/all/summary.json" .trace_hash "--trace all is the default"
expect_other_json "$TMP/plain/summary.json" "$TMP/flows/summary.json" .trace_hash "--trace flows is another trace"
expect_same_json "$TMP/plain/summary.json" "$TMP/flows/summary.json" .trace_records "flows keeps every line"
F="$TMP/flows/trace.jsonl"
expect_no_match "$F" '"body":'
expect_match "$TMP/plain/trace.jsonl" '"body":'
[ "$(sha256sum <"$F" | cut -c1-64)" = "$(trace_hash "$TMP/flows")" ] || fail "the flows trace's hash is not its bytes'"
expect_json "$TMP/flows/summary.json" .replay 'test("--trace flows")' "the replay command keeps the level"
# the same lines but for the bodies: drop "body" from the full trace and compare
cmp -s <(jq -c 'if (.detail | type) == "object" then .detail |= del(.body) else . end' "$TMP/plain/trace.jsonl") <(jq -c . "$F") ||
    fail "the flows trace is not the full trace without the bodies"
[ -e "$TMP/none/trace.jsonl" ] || [ -e "$TMP/none/trace.jsonl.part" ] && fail "--trace none wrote a trace"
expect_json "$TMP/none/summary.json" '[.trace_hash, .trace_records, .complete]' '. == ["", null, true]' "no trace, no hash, a complete run"
[ -e "$TMP/none/PARTIAL" ] && fail "--trace none left PARTIAL"

# ---- usage ---------------------------------------------------------------------------------
expect_exit 2 run $T -q --trace bodies
expect_match "$TMP/err" "^renkei: --trace: expected all, flows or none, got 'bodies'$"
expect_exit 2 run $T -q --zstd
expect_match "$TMP/err" "^renkei: --zstd .*--out"
expect_exit 2 run $T -q --zstd --trace none --out "$TMP/u"
finish
