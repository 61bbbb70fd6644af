# tests/cli_exit.sh - exit statuses and one-line errors naming file:line.
set -euo pipefail
source tests/lib.sh "$@"
L=tests/lua

expect_exit 0 run $L/pass.lua -q
expect_exit 1 run $L/fail.lua -q
expect_match "$TMP/out" 'FAIL impossible: only [0-9]+ events'
expect_match "$TMP/out" 'replay +renkei run tests/lua/fail.lua --seed 1'

expect_exit 2 run $L/syntax_error.lua
expect_match "$TMP/err" '^renkei: tests/lua/syntax_error.lua:2: '
expect_one_line "$TMP/err"
expect_exit 2 run $L/unknown_node.lua
expect_match "$TMP/err" "^renkei: tests/lua/unknown_node.lua:3: unknown node 'nowhere'$"
expect_exit 2 run $L/bad_time.lua
expect_match "$TMP/err" "^renkei: tests/lua/bad_time.lua:1: bad time '2017-13-01 10:00'"
expect_exit 2 run $L/bad_duration.lua
expect_match "$TMP/err" "^renkei: tests/lua/bad_duration.lua:1: bad duration 'ninety seconds'"
expect_exit 2 run $L/runtime_error.lua -q
expect_match "$TMP/err" "^renkei: tests/lua/runtime_error.lua:4: attempt to index a nil value"
expect_exit 2 run $L/missing.lua
expect_match "$TMP/err" 'cannot open tests/lua/missing.lua'
# 3, an internal failure (domain_halt: an allocation or a timer that failed), has no test
# here: no script input reaches one without out-of-memory (ulimit, which depends on the
# machine) or a signed overflow of a huge duration (undefined behaviour, and input that
# should be refused where it comes in).

# the command line itself
expect_exit 2
expect_exit 2 frobnicate
expect_match "$TMP/err" "unknown command 'frobnicate'"
expect_exit 2 run
expect_exit 2 run $L/pass.lua --seed abc
expect_match "$TMP/err" "^renkei: --seed: expected a non-negative integer, got 'abc'"
expect_exit 2 run $L/pass.lua --bogus
expect_match "$TMP/err" "unknown option '--bogus'"
expect_exit 2 run $L/pass.lua --until yesterday
expect_match "$TMP/err" '--until yesterday'
expect_exit 2 run $L/pass.lua --speed -3
expect_exit 0 run $L/pass.lua --until 30m -q
expect_match "$TMP/out" '2017-11-13 09:00:00 -> 2017-11-13 09:30:00'

# parameters
expect_exit 0 run $L/params.lua --set count=7 --set label=東京 --set flag=true
expect_match "$TMP/out" 'count 7 label 東京 flag true'
expect_exit 2 run $L/params.lua --set count=seven
expect_match "$TMP/err" 'params.lua:1: --set count=seven: not a number'
expect_exit 2 run $L/params.lua --set cuont=7
expect_match "$TMP/err" "no script reads the parameter 'cuont'"

# check loads without running
expect_exit 0 check $L/pass.lua
expect_match "$TMP/out" '^ok: 1 file\(s\), 2 nodes'
expect_exit 2 check $L/unknown_node.lua
expect_match "$TMP/err" 'unknown_node.lua:3:'

# always-conditions fail at the first failing check
expect_exit 1 run $L/always.lua -q --out "$TMP/always"
expect_match "$TMP/out" 'FAIL a stays up: a is down \(at 2017-11-13 10:00:00\)'

expect_exit 0 run $L/timers.lua -q
expect_exit 1 run $L/pass.lua -q --until 5ms   # the pong would arrive at 10ms
finish
