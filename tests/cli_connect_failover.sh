# tests/cli_connect_failover.sh - a connection test disturbed on purpose
# (scripts/connect/vendor_disturbed.lua, time-compressed): the outside system
# (tests/connect/failover.py, Python's standard library) keeps registering and inquiring while
# the NWS slows down, its tenant's site is lost, fails over and back, and a certificate expires.
# It sees errors then recovery as the real system would show them, retries, and finds every
# acknowledged registration intact after the failback; the conformance report lists exactly
# what it did and the errors by cause; the session replays to the same trace hash.
set -euo pipefail
source tests/lib.sh "$@"
PY=${PYTHON:-python3}
SCALE=0.04
T="topologies/small.lua scripts/connect/vendor_plain.lua scripts/connect/vendor_disturbed.lua"
SETS=(--set "disturb_scale=$SCALE" --set timeout=3s)

OUT="$TMP/live"
connect "$OUT" $T -q "${SETS[@]}" --connect-rate 50 --connect 271004 --listen 0
if ! (cd tests/connect && "$PY" failover.py "$BASE" "$TOKEN" "$OUT" "$SCALE"); then
    fail "the client's disturbed session failed (transcript: $(tail -5 "$OUT/client_transcript.txt" 2>/dev/null))"
    kill -INT "$PID" 2>/dev/null || true
fi
set +e
wait "$PID"
STATUS=$?
set -e
[ "$STATUS" -eq 0 ] || fail "the session ended with status $STATUS (expected 0): $(tail -20 "$OUT/renkei.out")"
S="$OUT/summary.json"
expectation_held "$S" "no acknowledged write lost"
expectation_held "$S" "the tenant under test was served again after its site was lost"
expect_json "$S" '[.faults[] | select(.kind == "site_down" and .target == "west")]' 'length >= 1' "the west site was lost"
"$PY" tests/connect/verify.py "$OUT" --expect-flow-errors inquiry:integrity replica_registration:unreachable \
    || fail "the conformance report does not match what the client did"
expect_json "$S" '[.connection_test.errors[].code]' 'index("tenant_unavailable") != null' "errors: tenant_unavailable"
# the disturbance cases apply, and the client's retries pass them (issue 17)
expect_json "$S" '[.connection_test.test_cases.cases[] | select(.id == "CT-11" or .id == "CT-12" or .id == "CT-13") | .status]' \
    '. == ["pass", "pass", "pass"]' "CT-11 (503, retried), CT-12 (unreachable/timeout, retried), CT-13 (integrity, again): pass"
expect_trace_hash "$OUT"
live=$(trace_hash "$OUT")
expect_exit 0 run $T -q "${SETS[@]}" --replay-session "$OUT/connect_session.jsonl" --out "$TMP/replay"
R="$TMP/replay/summary.json"
expect_json "$R" .trace_hash ". == \"$live\"" "the replay gives the live session's trace hash"
expect_json "$R" .connection_test.replay '.requests >= 1 and .different_answers == 0' "replay: 0 answered differently"
expect_same_json "$S" "$R" '[.connection_test.test_cases.cases[] | [.id, .status, .evidence]]' \
    "the replay judges every test case as the session did"
finish
