# tests/cli_sigint.sh - Ctrl-C ends a paced run cleanly and still writes the outputs.
set -euo pipefail
source tests/lib.sh "$@"

# real time: the demo would take nine hours; interrupt it once it has started
"$RENKEI" run topologies/demo.lua scripts/demo.lua -q --speed 1 --out "$TMP/int" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 100); do
    [ -e "$TMP/int/trace.jsonl.part" ] && break   # written under its .part name until the end
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
# issue 15: the outputs say they are partial, and the trace is there whole, under its name
expect_json "$S" .complete '. == false' "an interrupted run's outputs are not complete"
[ -e "$TMP/int/PARTIAL" ] || fail "no PARTIAL after Ctrl-C"
expect_trace_hash "$TMP/int"
[ "$(sha256sum <"$TMP/int/trace.jsonl" | cut -c1-64)" = "$(trace_hash "$TMP/int")" ] || fail "the hash is not trace.jsonl's"
finish
