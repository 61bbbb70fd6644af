# tests/cli_sigint.sh - Ctrl-C ends a paced run cleanly and still writes the outputs.
set -euo pipefail
source tests/lib.sh "$@"

# real time: the demo would take nine hours; interrupt it once it has started
"$RENKEI" run topologies/demo.lua scripts/demo.lua -q --speed 1 --out "$TMP/int" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 100); do
    [ -s "$TMP/int/trace.jsonl" ] || [ -e "$TMP/int/trace.jsonl" ] && break
    sleep 0.05
done
sleep 1.5   # the signal handler is installed once the scripts are loaded
kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
[ "$status" -eq 130 ] || fail "interrupted run exited $status, expected 130"
[ -s "$TMP/int/summary.json" ] || fail "no summary.json after Ctrl-C"
S="$TMP/int/summary.json"
expect_json "$S" .interrupted '. == true' "the summary says the run was interrupted"
expect_json "$S" .end_reason '. == "interrupted"' "ended: interrupted"
expect_json "$S" .exit_status '. == 130' "the summary's exit status"
expect_json "$S" '.end_us - .start_us' '. > 0' "it ran a while before the signal"
finish
