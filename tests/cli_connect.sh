# tests/cli_connect.sh - connection-test mode (issues 7 and 17): an outside system, written in Python's
# standard library from docs/connect-api.md alone (tests/connect/plain.py), drives Osaka's
# tenant over real TCP on an ordinary day: every operation, every validation error from a
# crafted request (nothing changes), a misbehaving client; the conformance report says exactly
# what it did (tests/connect/verify.py); the session replays to the same trace hash with the
# same answers; the options are checked.
set -euo pipefail
source tests/lib.sh "$@"
PY=${PYTHON:-python3}
T="topologies/small.lua scripts/connect/vendor_plain.lua"

# --- options --------------------------------------------------------------------------------
expect_exit 2 run $T -q --connect 271004
expect_match "$TMP/err" 'go together'
expect_exit 2 run $T -q --connect 27100 --listen 0
expect_match "$TMP/err" '6-digit local-government code'
expect_exit 2 run $T -q --connect 011002 --listen 0
expect_match "$TMP/err" 'no local government with that code'
expect_exit 2 run $T -q --connect 271004 --listen 0.0.0.0:0
expect_match "$TMP/err" 'only loopback addresses unless --listen-any'
expect_exit 2 run $T -q --connect 271004 --listen 0 --fast
expect_match "$TMP/err" 'runs paced'
expect_exit 2 run $T -q --connect 271004 --listen 99999
expect_match "$TMP/err" 'port from 0 to 65535'
expect_exit 2 run $T -q --replay-session "$TMP/none.jsonl"
expect_match "$TMP/err" 'none.jsonl'

# --- the reference and the program agree (issue 17) -------------------------------------------
# disturb_scale scales every time and duration of vendor_disturbed.lua, the NWS's delay too, as
# the reference says (a dry run: no --connect)
expect_exit 0 run $T scripts/connect/vendor_disturbed.lua -q --fast --until 1m --set disturb_scale=0.1 \
    --set inquiries_per_day=2000 --out "$TMP/scaled"
expect_match "$TMP/scaled/trace.jsonl" 'the NWS slows down \(every message waits 400ms\)'
expect_json "$TMP/scaled/summary.json" '[.faults[] | select(.kind == "nws_slow")][0]' \
    '.start == "2017-11-13T08:30:12.000000+09:00" and .end == "2017-11-13T08:30:30.000000+09:00"' \
    "the slow NWS at +12 s for 18 s (2 min and 3 min x 0.1)"
expect_match docs/connect-api.md '8 s × `disturb_scale`'
# the reference stands alone: it sends vendors nowhere in the project's tests
expect_no_match docs/connect-api.md 'tests/'

# --- a whole session ------------------------------------------------------------------------
OUT="$TMP/live"
connect "$OUT" $T -q --connect 271004 --listen 127.0.0.1:0
if ! (cd tests/connect && "$PY" plain.py "$BASE" "$TOKEN" "$OUT"); then
    fail "the client's session failed (transcript: $(tail -5 "$OUT/client_transcript.txt" 2>/dev/null))"
    kill -INT "$PID" 2>/dev/null || true
fi
wait_renkei
[ "$STATUS" -eq 0 ] || fail "the session ended with status $STATUS (expected 0: ended by the API, expectations held): $(cat "$OUT/renkei.err")"
S="$OUT/summary.json"
expect_json "$S" . '.end_reason == "session_end" and .interrupted == false and .exit_status == 0' \
    "ended by the API (session_end), not interrupted, exit status 0"
expect_json "$S" .connection_test \
    '.mode == "live" and .verdict == "complete" and .never_exercised == [] and .never_succeeded == [] and (.required | length > 0 and all(.exercised and .succeeded))' \
    "required operations: all exercised and seen to succeed"
expect_json "$S" .connection_test.test_cases '.verdict == "all_pass" and .fail == 0 and .not_run == 0 and .pass >= 13' \
    "the test cases: all passed"
E="$OUT/connect_evidence.json"
expect_json "$E" . '.lg == "271004" and .trace_hash != "" and .test_cases.verdict == "all_pass" and (.test_cases.declaration.items | index("TM00000000000001") != null)' \
    "the evidence bundle: all pass, with the declaration and the trace hash"
expect_json "$E" '[.test_cases.cases[] | select(.status == "pass")]' \
    'all(.purpose_ja != "" and .expected_en != "" and (.evidence | length >= 1) and (((.evidence[0].at // "") | test("^2017-")) or .evidence[0].wall_ms != null))' \
    "every passed case carries its texts and its evidence with the simulated time (the wall clock's for a 429)"
expect_match "$OUT/connect_evidence.html" '<h3>Test cases / 試験項目</h3>'
# every case of the catalogue is in its reference
for id in $(jq -r '.test_cases.cases[].id | sub("\\..*"; "")' "$E" | sort -u); do
    expect_match docs/connect-cases.md "^\\| \`$id"
done
expect_match "$OUT/report.html" 'CT-05.local_tax_assessment'
# the OpenAPI document (docs/connect-openapi.json) holds every answer of the session and every
# whole example of the reference
"$PY" tests/connect/openapi_check.py docs/connect-openapi.json "$OUT/client_answers.jsonl" --examples docs/connect-api.md \
    >"$TMP/openapi.out" || fail "answers or examples that docs/connect-openapi.json does not describe: $(cat "$TMP/openapi.out")"
expect_match "$TMP/openapi.out" '^openapi: [0-9]{3,} answers and [0-9]{2,} whole examples of the reference valid'
cp docs/connect-openapi.json "$TMP/broken.json"
jq '.components.schemas.Session.required += ["colour"]' "$TMP/broken.json" >"$TMP/broken2.json"
if "$PY" tests/connect/openapi_check.py "$TMP/broken2.json" "$OUT/client_answers.jsonl" >/dev/null 2>&1; then
    fail "openapi_check.py accepts answers that break the document"
fi
expect_trace_hash "$OUT"
live=$(trace_hash "$OUT")
"$PY" tests/connect/verify.py "$OUT" --complete || fail "the conformance report does not match what the client did"
expect_match "$OUT/report.html" '<section id="connection-test"'
expect_match "$OUT/report.html" 'every required operation exercised and seen to succeed'
# the local government under test left the workload: it sent exactly the client's inquiries
# (three, and three in a bulk file) and no other
sent=$(grep -c '"kind":"connect","node":"271004","detail":"Q[0-9]* inquiry accepted' "$OUT/trace.jsonl" || true)
[ "$sent" -eq 6 ] || fail "expected the client's 6 inquiries in the trace, found $sent"
started=$(grep -cE '"kind":"send","node":"271004","peer":"[a-z]+","msg":[0-9]+,"detail":\{"type":"inquiry"' "$OUT/trace.jsonl" || true)
[ "$started" -eq 6 ] || fail "Osaka's node sent $started inquiries; only the client's 6 were expected"

# --- the replay: same trace, same answers -------------------------------------------------------
expect_exit 0 run $T -q --replay-session "$OUT/connect_session.jsonl" --out "$TMP/replay"
R="$TMP/replay/summary.json"
expect_json "$R" .trace_hash ". == \"$live\"" "the replay gives the live session's trace hash"
expect_json "$R" .connection_test '.mode == "replay" and (.replay | .requests >= 1 and .different_answers == 0 and .same_answers == .requests)' \
    "replay: every request answered as recorded"
expect_json "$R" .end_reason '. == "session_end"' "the replay ends where the session did"
expect_same_json "$S" "$R" '[.connection_test.test_cases.cases[] | [.id, .status, .evidence]]' \
    "the replay judges every test case as the session did, on the same evidence"
# another run is refused, with the command to use
expect_exit 2 run $T -q --seed 2 --replay-session "$OUT/connect_session.jsonl"
expect_match "$TMP/err" 'differ from the recorded run; replay with: renkei run topologies/small.lua scripts/connect/vendor_plain.lua --seed 1'
# an answer recorded differently is found and fails the run
sed '0,/"op":"fixtures","answer":"[0-9a-f]*"/s//"op":"fixtures","answer":"00000000000000000000000000000000"/' \
    "$OUT/connect_session.jsonl" >"$TMP/tampered.jsonl"
expect_exit 1 run $T -q --replay-session "$TMP/tampered.jsonl" --out "$TMP/tampered"
expect_json "$TMP/tampered/summary.json" .connection_test.replay \
    '.requests >= 1 and .different_answers == 1 and (.first_difference | test("^request [0-9]+ \\(GET /connect/v1/fixtures\\)"))' \
    "replay: 1 answered differently, the fixtures"
expect_json "$TMP/tampered/summary.json" .exit_status '. == 1' "a different answer fails the run"
# a session cut short (Ctrl-C) replays to the same point; a flood of refused requests (no rate
# limit here) is counted in full but logged only up to 10,000 lines
connect "$TMP/cut" $T -q --connect 271004 --listen 0 --connect-rate 0
[ "$("$PY" tests/connect/flood.py "$BASE" 10100)" = "403:10100" ] || fail "the flood was not refused as a wrong token"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "${BASE}fixtures"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"addressee_no":"000000000000012","procedure":"child_allowance","item":"TM00000000000002","provider":"131016","staff":"S-9"}' \
    "${BASE}inquiries"
sleep 0.5
kill -INT "$PID"
wait_renkei
[ "$STATUS" -eq 130 ] || fail "an interrupted session exited $STATUS, expected 130"
C="$TMP/cut/summary.json"
expect_json "$C" . '.interrupted == true and .exit_status == 130' "the session was interrupted"
expect_trace_hash "$TMP/cut"
cut=$(trace_hash "$TMP/cut")
# forbidden N: the group of errors "403 forbidden" (no field) counted N times
forbidden() { echo "[.connection_test.errors[] | select(.status == 403 and .code == \"forbidden\")] | length == 1 and .[0].count == $1 and .[0].field == null"; }
expect_match "$TMP/cut/connect_session.jsonl" '"end":"interrupted"'
lines=$(wc -l <"$TMP/cut/connect_session.jsonl")
[ "$lines" -le 10004 ] || fail "the session log grew with the flood: $lines lines"
expect_match "$TMP/cut/connect_session.jsonl" '"refusals_not_logged":\[\{"op":"session","status":403,"refused":"forbidden","count":100\}\]'
expect_json "$C" . "$(forbidden 10100)" "error 403 forbidden x10100"
expect_exit 0 run $T -q --replay-session "$TMP/cut/connect_session.jsonl" --out "$TMP/cut_replay"
expect_json "$TMP/cut_replay/summary.json" .trace_hash ". == \"$cut\"" "the interrupted session's replay gives its trace hash"
expect_json "$TMP/cut_replay/summary.json" . "$(forbidden 10100)" "the replay counts error 403 forbidden x10100 too"

finish
