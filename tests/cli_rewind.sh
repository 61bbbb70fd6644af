# tests/cli_rewind.sh - POST /api/rewind (issue 16): a served run gone back to 09:00 after a
# fault and run on with another fault has the same trace (hash and file) as a run that had
# only that other fault at 09:00; the changes made after the moment gone back to are dropped
# (summary.json's "branch" records the rewind and the journal of changes that stayed); bad
# times are refused with 422 naming the field and the rule, and change nothing; a --zstd
# trace is cut back to the checkpoint and goes on whole.
set -euo pipefail
source tests/lib.sh "$@"
PID=""
trap 'for p in $PID; do kill -INT "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
T="topologies/small.lua tests/lua/rewind_day.lua"
auth="Authorization: Bearer"
B="$TMP/body"
call() {
    local args=(-s -o "$B" -w '%{http_code}' -X "$1" "$BASE${2#/}")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    [ $# -ge 4 ] && args+=(-H "$4")
    code=$(curl "${args[@]}")
}
post() { call POST "$1" "$2" "$auth $TOKEN"; [ "$code" = 200 ] || fail "POST $1 $2: $code $(cat "$B")"; }
wait_state() {   # a hang guard, not a time limit
    for _ in $(seq 3000); do call GET /api/state; [ "$(jq -r .state "$B")" = "$1" ] && return; sleep 0.05; done
    fail "the run never became $1"
}
run_to_end() {
    post /api/speed '{"speed":0}'
    post /api/resume '{}'
    wait_state ended
    kill -INT "$PID"
    wait_renkei
    [ "$STATUS" -eq 0 ] || fail "the served run exited $STATUS: $(cat "$TMP/serve.err")"
}
EAST='{"kind":"site_down","target":"east","duration":"1h"}'
WEST='{"kind":"site_down","target":"west","duration":"2h"}'

# --- the reference: east lost at 09:00, nothing else ------------------------------------------
serve $T -q --serve 0 --out "$TMP/fresh"
post /api/speed '{"speed":0}'
post /api/until '{"time":"09:00"}'
wait_state paused
post /api/faults "$EAST"
run_to_end
expect_trace_hash "$TMP/fresh"
fresh=$(trace_hash "$TMP/fresh")

# --- west lost at 09:00, run to 11:00, back to 09:00, then east lost instead -------------------
serve $T -q --serve 0 --out "$TMP/branch"
post /api/speed '{"speed":0}'
post /api/until '{"time":"09:00"}'
wait_state paused
post /api/faults "$WEST"
post /api/until '{"time":"11:00"}'
wait_state paused
now=$(jq -r .now_us "$B")
# bad times: 422 naming the field and the rule, nothing changed
refused() {
    call POST /api/rewind "$1" "$auth $TOKEN"
    [ "$code" = 422 ] || fail "rewind $1: status $code, expected 422: $(cat "$B")"
    expect_json "$B" . ".status == 422 and .field == \"to\" and .rule == \"$2\" and (.error | length > 0)" "rewind $1 refused"
}
refused '{"to":"12:00"}' not_in_future
refused '{"to":"2017-11-13 11:00:01"}' not_in_future
refused '{"to":"2017-11-13 08:29"}' not_before_start
refused '{"to":"-3h"}' not_before_start
refused '{"to":"teatime"}' format
refused '{"to":930}' format
refused '{}' required
call POST /api/rewind '{"to":"09:00"}'
[ "$code" = 401 ] || fail "a rewind without the token: $code"
call POST /api/rewind '{"to":"09:00","why":"x"}' "$auth $TOKEN"
[ "$code" = 400 ] || fail "a rewind with an unknown field: $code"
call GET /api/state
expect_json "$B" . ".now_us == $now and .state == \"paused\"" "the refused rewinds changed nothing"
call GET /api/faults
expect_json "$B" '[.[] | .target]' '. == ["west"]' "the west fault is still there"
# back to 09:00: before the west fault, paused there
post /api/rewind '{"to":"09:00"}'
expect_json "$B" . '.now == "2017-11-13 09:00:00" and .state == "paused" and .branch == 1 and .rewound_to == "2017-11-13T09:00:00.000000+09:00"' \
    "rewound to 09:00, paused"
call GET /api/faults
expect_json "$B" . '. == []' "the west fault, made at 09:00, is gone after going back to 09:00"
post /api/faults "$EAST"
expect_json "$B" .id '. == 1' "the east fault is the branch's first"
run_to_end
expect_json "$TMP/branch/summary.json" .trace_hash ". == \"$fresh\"" "the branch has the trace of a run with only the east fault"
[ "$(sha256sum <"$TMP/branch/trace.jsonl" | cut -c1-64)" = "$fresh" ] || fail "trace.jsonl of the branch is not the hashed trace"
cmp -s "$TMP/fresh/trace.jsonl" "$TMP/branch/trace.jsonl" || fail "the branch's trace.jsonl differs from the reference's"
expect_json "$TMP/branch/summary.json" .branch '.rewinds == 1 and .points[0].to == "2017-11-13T09:00:00.000000+09:00" and .points[0].from == "2017-11-13T11:00:00.000000+09:00"' \
    "summary.json says the run is a branch, and from where"
expect_json "$TMP/branch/summary.json" '[.branch.journal[] | [.kind, .fault.target]]' '. == [["fault", "east"]]' \
    "the journal keeps the changes that stayed"

# --- going back past a change made later replays it; twice back; back to the start ------------
serve $T -q --serve 0 --out "$TMP/again"
post /api/speed '{"speed":0}'
post /api/until '{"time":"09:00"}'
wait_state paused
post /api/faults "$EAST"
post /api/until '{"time":"12:40"}'
wait_state paused
post /api/rewind '{"to":"12:10"}'
expect_json "$B" . '.now == "2017-11-13 12:10:00" and .branch == 1' "rewound to 12:10"
call GET /api/faults
expect_json "$B" '[.[] | .target]' '. == ["east"]' "the fault made before 12:10 is still there"
post /api/rewind '{"to":"-100m"}'
expect_json "$B" . '.now == "2017-11-13 10:30:00" and .branch == 2' "rewound again, 100 minutes back"
post /api/rewind '{"to":"08:30"}'
expect_json "$B" . '.now == "2017-11-13 08:30:00" and .inquiries.started == 0 and .branch == 3' "back to the start"
post /api/until '{"time":"09:00"}'
wait_state paused
post /api/faults "$EAST"
run_to_end
expect_json "$TMP/again/summary.json" .trace_hash ". == \"$fresh\"" "three rewinds later, the same run as the reference"
expect_json "$TMP/again/summary.json" .branch.rewinds '. == 3' "three rewinds recorded"

# --- a compressed trace is cut back and goes on as well -----------------------------------------
command -v zstd >/dev/null || { fail "the zstd command is missing (./dev installs it)"; finish; }
expect_exit 0 run $T -q --out "$TMP/plain"
serve $T -q --serve 0 --zstd --out "$TMP/z"
post /api/speed '{"speed":0}'
post /api/until '{"time":"13:00"}'
wait_state paused
post /api/rewind '{"to":"10:40"}'
run_to_end
expect_same_json "$TMP/z/summary.json" "$TMP/plain/summary.json" .trace_hash "rewound with --zstd, the run's own trace"
[ "$(zstd -dc "$TMP/z/trace.jsonl.zst" | sha256sum | cut -c1-64)" = "$(trace_hash "$TMP/plain")" ] ||
    fail "zstd -dc trace.jsonl.zst of the rewound run is not the hashed trace"
finish
