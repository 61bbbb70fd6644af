# tests/cli_exit.sh - exit statuses and one-line errors naming file:line.
set -euo pipefail
source tests/lib.sh "$@"
L=tests/lua

expect_exit 0 run $L/pass.lua -q --out "$TMP/pass"
# a passing expectation shows the figure its check returned, printed as in summary.json (issue 16)
expect_json "$TMP/pass/summary.json" '[.expectations[] | select(.name == "a got its pong") | .message]' '. == ["got 1"]' "the figure in summary.json"
expect_match "$TMP/out" '^ +ok +a got its pong: got 1$'
expect_match "$TMP/out" '^ +ok +two messages$'
expect_exit 1 run $L/fail.lua -q --out "$TMP/fail"
expectation_failed "$TMP/fail/summary.json" impossible '^only [0-9]+ events$'
expect_json "$TMP/fail/summary.json" .replay '. == "renkei run tests/lua/fail.lua --seed 1"' "the replay command"
expect_json "$TMP/fail/summary.json" .exit_status '. == 1' "a failed expectation: exit status 1"

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
# issue 15: an infinite or absurd speed is refused (it crashed, or the run never advanced)
for s in inf 1e309 1e300 nan 0; do
    expect_exit 2 run $L/pass.lua --speed $s
    expect_match "$TMP/err" "^renkei: --speed: expected a number from 0.000001 to 1000000000"
done
expect_exit 0 run $L/pass.lua --until 30m -q --out "$TMP/until"
expect_json "$TMP/until/summary.json" .start 'startswith("2017-11-13T09:00:00")' "the run starts at 09:00"
expect_json "$TMP/until/summary.json" .end 'startswith("2017-11-13T09:30:00")' "--until 30m ends it at 09:30"

# parameters
expect_exit 0 run $L/params.lua --set count=7 --set label=東京 --set flag=true --out "$TMP/params"
# the script logs what it read (a "log" record of the trace)
expect_json "$TMP/params/trace.jsonl" '[.[] | select(.kind == "log") | .detail]' \
    '. == ["count 7 label 東京 flag true"]' "the parameters as the script read them"
expect_exit 2 run $L/params.lua --set count=seven
expect_match "$TMP/err" 'params.lua:1: --set count=seven: not a number'
expect_exit 2 run $L/params.lua --set cuont=7
expect_match "$TMP/err" "no script reads the parameter 'cuont'"

# check loads without running (it writes no summary.json: its one printed line is what it says)
expect_exit 0 check $L/pass.lua
expect_match "$TMP/out" '^ok: 1 file\(s\), 2 nodes'
expect_exit 2 check $L/unknown_node.lua
expect_match "$TMP/err" 'unknown_node.lua:3:'

# always-conditions fail at the first failing check
expect_exit 1 run $L/always.lua -q --out "$TMP/always"
expectation_failed "$TMP/always/summary.json" "a stays up" '^a is down$'
expect_json "$TMP/always/summary.json" '.expectations[] | select(.name == "a stays up")' \
    '.kind == "always" and (.failed_at | startswith("2017-11-13T10:00:00"))' "checked always, failed at 10:00"

expect_exit 0 run $L/timers.lua -q
expect_exit 1 run $L/pass.lua -q --until 5ms   # the pong would arrive at 10ms

# issue 15: --out "" overflowed the heap making the directory; refused in one line
expect_exit 2 run $L/pass.lua -q --out ""
expect_match "$TMP/err" "^renkei: --out: expected a directory"
expect_one_line "$TMP/err"
# issue 15: --lua-mem 2^44 MiB wrapped to 0 bytes, the default; out of range is refused
expect_exit 2 run $L/pass.lua -q --lua-mem 17592186044416
expect_match "$TMP/err" "^renkei: --lua-mem: expected MiB from 1 to 1048576"
expect_one_line "$TMP/err"
expect_exit 2 run $L/pass.lua -q --lua-mem 1048577
expect_exit 0 run $L/pass.lua -q --lua-mem 1048576
# issue 15: a population of 2^32 gave the body no residents; refused where it is written
expect_exit 2 run $L/bad/population_2_32.lua
expect_match "$TMP/err" "^renkei: tests/lua/bad/population_2_32.lua:4: lg 131016: population must be from 0 to 200000000"
expect_one_line "$TMP/err"
# issue 15 (fuzz_lua): expect()/always() during the run - from a check, a use-after-free at the
# end; from a timer, never checked - are refused at their line
expect_exit 2 run $L/bad/expect_in_check.lua -q --out "$TMP/eic"
expect_match "$TMP/err" "^renkei: tests/lua/bad/expect_in_check.lua:7: always\\(\\): expectations are declared while the script loads, not during the run"
expect_json "$TMP/eic/summary.json" . '.exit_status == 2' "the run says it stopped on the script's error"
expect_exit 2 run $L/bad/always_in_timer.lua -q
expect_match "$TMP/err" "^renkei: tests/lua/bad/always_in_timer.lua:6: always\\(\\): expectations are declared"
finish
