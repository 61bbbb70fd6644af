# tests/cli_sandbox.sh - the Lua sandbox: absent libraries, budgets, memory cap, determinism.
set -euo pipefail
source tests/lib.sh "$@"
L=tests/lua

# the script logs its draws: the "log" record of the trace that starts with "randoms"
draws='[.[] | select(.kind == "log") | .detail | select(startswith("randoms "))]'
expect_exit 0 run $L/sandbox.lua --out "$TMP/a"
expectation_held "$TMP/a/summary.json" "sandbox holds"
expect_json "$TMP/a/trace.jsonl" "$draws" 'length == 1' "the draws are logged once"
first=$(json "$TMP/a/trace.jsonl" "$draws | .[0]")
expect_exit 0 run $L/sandbox.lua --out "$TMP/b"
expect_json "$TMP/b/trace.jsonl" "$draws" ". == [$(jq_str "$first")]" "math.random gives the same draws with the same seed"
expect_exit 0 run $L/sandbox.lua --seed 2 --out "$TMP/c"
expect_json "$TMP/c/trace.jsonl" "$draws" "length == 1 and .[0] != $(jq_str "$first")" "math.random follows the seed"

# a runaway loop is stopped and named by file and line
expect_exit 2 run $L/runaway.lua -q --lua-budget 1000000
expect_match "$TMP/err" '^renkei: tests/lua/runaway.lua:5: instruction budget exceeded'
expect_one_line "$TMP/err"

# a memory hog is stopped at the cap, named by file and line
expect_exit 2 run $L/memory_hog.lua -q --lua-mem 16
expect_match "$TMP/err" '^renkei: tests/lua/memory_hog.lua:[23]: memory cap exceeded \(16 MiB\)'
expect_one_line "$TMP/err"

# an error inside a node callback during the run stops it with file:line and exit 2
cat >"$TMP/cb.lua" <<'LUA'
start "2017-11-13 09:00"
node { name = "a", on_start = function(self) self:after("1s", function() self:send("a", "x", { f = function() end }) end) end }
LUA
expect_exit 2 run "$TMP/cb.lua" -q
expect_match "$TMP/err" "cb.lua:2: message body: only nil, booleans"
finish
