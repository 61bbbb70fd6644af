# tests/cli_determinism.sh - same seed, same trace hash; the hash is sha256 of trace.jsonl;
# fast and paced runs agree; summary.json holds what it promises.
set -euo pipefail
source tests/lib.sh "$@"
T="topologies/demo.lua scripts/demo.lua"

expect_exit 0 run $T -q --out "$TMP/a"
h1=$(hash_of)
[ -n "$h1" ] || fail "no trace hash printed"
expect_exit 0 run $T -q --out "$TMP/b"
[ "$(hash_of)" = "$h1" ] || fail "same seed gave a different hash"
cmp -s "$TMP/a/trace.jsonl" "$TMP/b/trace.jsonl" || fail "same seed gave different traces"
[ "$(sha256sum "$TMP/a/trace.jsonl" | cut -d' ' -f1)" = "$h1" ] || fail "hash is not sha256 of trace.jsonl"
expect_exit 0 run $T -q --seed 2
[ "$(hash_of)" != "$h1" ] || fail "a different seed gave the same hash"
expect_exit 0 run $T -q --speed 50000000
[ "$(hash_of)" = "$h1" ] || fail "paced mode gave a different hash than fast mode"
[ ! -s "$TMP/err" ] || fail "paced run wrote to stderr (a libuv handle left open?): $(cat "$TMP/err")"

S="$TMP/a/summary.json"
for field in seed start end events wall_s events_per_s trace_hash messages expectations exit_status replay; do
    expect_match "$S" "\"$field\":"
done
expect_match "$S" "\"trace_hash\":[[:space:]]*\"$h1\""
expect_match "$S" '"sent":[[:space:]]*[1-9]'
expect_match "$S" '"name":[[:space:]]*"most inquiries are answered"'
expect_match "$S" '"passed":[[:space:]]*true'
# every trace line has the canonical leading fields
bad=$(grep -cvE '^\{"time":[0-9]+,"jst":"[0-9-]+ [0-9:.]+","kind":"[a-z_]+"' "$TMP/a/trace.jsonl" || true)
[ "$bad" -eq 0 ] || fail "$bad trace lines are not canonical"
finish
