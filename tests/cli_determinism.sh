# tests/cli_determinism.sh - same seed, same trace hash; the hash is sha256 of trace.jsonl;
# fast and paced runs agree; summary.json holds what it promises.
set -euo pipefail
source tests/lib.sh "$@"
T="topologies/demo.lua scripts/demo.lua"

expect_exit 0 run $T -q --out "$TMP/a"
expect_trace_hash "$TMP/a"
h1=$(trace_hash "$TMP/a")
same="same seed, same trace hash"
expect_exit 0 run $T -q --out "$TMP/b"
expect_json "$TMP/b/summary.json" .trace_hash ". == \"$h1\"" "$same"
cmp -s "$TMP/a/trace.jsonl" "$TMP/b/trace.jsonl" || fail "same seed gave different traces"
[ "$(sha256sum "$TMP/a/trace.jsonl" | cut -d' ' -f1)" = "$h1" ] || fail "hash is not sha256 of trace.jsonl"
expect_exit 0 run $T -q --seed 2 --out "$TMP/seed2"
expect_trace_hash "$TMP/seed2"
expect_json "$TMP/seed2/summary.json" .trace_hash ". != \"$h1\"" "a different seed gives another trace hash"
expect_exit 0 run $T -q --speed 50000000 --out "$TMP/paced"
expect_json "$TMP/paced/summary.json" .mode '. == "paced"' "--speed runs paced"
expect_json "$TMP/paced/summary.json" .trace_hash ". == \"$h1\"" "paced mode gives the fast mode's hash"
[ ! -s "$TMP/err" ] || fail "paced run wrote to stderr (a libuv handle left open?): $(cat "$TMP/err")"

S="$TMP/a/summary.json"
for field in seed start end events wall_s events_per_s trace_hash messages expectations exit_status replay; do
    expect_json "$S" keys "index(\"$field\") != null" "summary.json has \"$field\""
done
expect_json "$S" .mode '. == "fast"' "a run without --speed is fast"
expect_json "$S" .exit_status '. == 0' "the exit status"
expect_json "$S" .messages.sent '. >= 1' "messages were sent"
expectation_held "$S" "most inquiries are answered"
# every trace line has the canonical leading fields
bad=$(grep -cvE '^\{"time":[0-9]+,"jst":"[0-9-]+ [0-9:.]+","kind":"[a-z_]+"' "$TMP/a/trace.jsonl" || true)
[ "$bad" -eq 0 ] || fail "$bad trace lines are not canonical"
finish
