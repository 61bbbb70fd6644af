# tests/cli_serve.sh - `renkei run --serve`: the served run has the same trace as one that is
# not (watched, paused at every caption and resumed); the controls do exactly what they say
# (a step is one event); bad requests get a clear 4xx and change nothing; the options are
# checked. The HTTP API is spoken with curl, as a script would.
set -euo pipefail
source tests/lib.sh "$@"
PID="" watcher=""
# never leave a server behind, whatever fails
trap 'for p in $PID $watcher; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
T="topologies/small.lua scripts/training/child_allowance.lua"

# --- options --------------------------------------------------------------------------------
expect_exit 2 run $T -q --serve 0.0.0.0:0
expect_match "$TMP/err" 'only loopback addresses unless --serve-any'
expect_exit 2 run $T -q --play
expect_match "$TMP/err" 'go with --serve'
expect_exit 2 run $T -q --serve 99999
expect_match "$TMP/err" 'expected a port'
expect_exit 2 run $T -q --serve 0 --web "$TMP"
expect_match "$TMP/err" 'no index.html'

stop() {
    kill -INT "$PID" 2>/dev/null || true
    set +e
    wait "$PID"
    STATUS=$?
    set -e
}
# call METHOD PATH [BODY [HEADER]]: the status in $code, the body in $TMP/body
call() {
    local args=(-s -o "$TMP/body" -w '%{http_code}' -X "$1" "$BASE${2#/}")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    [ $# -ge 4 ] && args+=(-H "$4")
    code=$(curl "${args[@]}")
}
auth="Authorization: Bearer"
B="$TMP/body"                          # the last answer, asserted on with expect_json "$B" ...
field() { jq -r ".$1" "$B" 2>/dev/null; }   # a top-level field of the last answer, for the loops

# --- the trace with and without the dashboard -----------------------------------------------
expect_exit 0 run $T -q --out "$TMP/plain"
expect_trace_hash "$TMP/plain"
plain=$(trace_hash "$TMP/plain")

serve $T -q --serve 0 --out "$TMP/served"
# a browser watches the live stream all along
curl -s -N "${BASE}api/stream" >"$TMP/stream" 2>/dev/null &
watcher=$!
resumes=0
for _ in $(seq 3000); do   # a hang guard, not a time limit
    call GET /api/state
    state=$(field state)
    [ "$state" = ended ] && break
    if [ "$state" = paused ]; then
        call POST /api/resume '{}' "$auth $TOKEN"
        [ "$code" = 200 ] || fail "resume: $code $(cat "$TMP/body")"
        resumes=$((resumes + 1))
    fi
    sleep 0.05
done
[ "$state" = ended ] || fail "the served run did not end (state $state)"
[ "$resumes" -ge 4 ] || fail "expected the start and three captions to pause the run, resumed $resumes times"
call GET /api/state
expect_json "$B" .exit_status '. == 0' "the page is told the exit status"
# the trainer's flow: Osaka's inquiry hop by hop, each hop with its step and lanes
call GET /api/flows/pick
expect_json "$B" '[.hop_list[].step]' '. == ["inquiry_request", "inquiry_converted", "inquiry_to_nws",
    "inquiry_nws_converted", "inquiry_to_provider", "provision_answer", "provision_sealed", "provision_nws_relay",
    "provision_opened", "provision_delivered"]' "the inquiry's hops"
expect_json "$B" '[.hop_list[] | select(.from_lane == "nws" and .to_lane == "provider_ifs")]' 'length >= 1' \
    "a hop from the NWS lane to the provider's interface system"
expect_json "$B" . '.outcome == "ok" and .procedure.id == "child_allowance"' "the flow's outcome and procedure"
stop
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
[ "$STATUS" -eq 0 ] || fail "served run exited $STATUS after the end (expected its result, 0)"
expect_json "$TMP/served/summary.json" .trace_hash ". == \"$plain\"" "serving does not change the trace hash"
expect_json "$TMP/served/summary.json" .exit_status '. == 0' "the served run's result"
cmp -s "$TMP/plain/trace.jsonl" "$TMP/served/trace.jsonl" || fail "served trace.jsonl differs"
grep -q '^event: tick' "$TMP/stream" || fail "the stream carried no updates"
sed -n 's/^data: //p' "$TMP/stream" >"$TMP/stream.jsonl"
expect_json "$TMP/stream.jsonl" '[.[] | .caption? | objects | .seq]' 'length >= 1 and all(type == "number")' \
    "the stream carried captions"
[ -s "$TMP/served/report.html" ] || fail "no report.html"
[ ! -s "$TMP/serve.err" ] || fail "the served run wrote to stderr: $(cat "$TMP/serve.err")"

# --- controls and bad requests on a paused run ----------------------------------------------
serve $T -q --serve 127.0.0.1:0 --out "$TMP/ctl"
call GET /api/state
[ "$code" = 200 ] || fail "state: $code"
expect_json "$B" . '.state == "paused" and .events == 0' "a served run starts paused, before any event"
now0=$(field now_us)

# each bad request: its status, a one-line JSON error, and nothing changed
bad() {
    local want=$1; shift
    call "$@"
    [ "$code" = "$want" ] || fail "$1 $2 ${3:-}: status $code, expected $want: $(cat "$B")"
    expect_json "$B" . "keys == [\"error\", \"status\"] and (.error | type == \"string\" and length > 0) and .status == $want" \
        "$1 $2: a JSON error with its status"
    expect_one_line "$B"
}
bad 404 GET /api/nowhere
bad 404 GET /nowhere.js
bad 405 DELETE /api/state
bad 401 POST /api/step '{"events":1}'
bad 403 POST /api/step '{"events":1}' "$auth wrong"
bad 401 POST /api/faults '{"kind":"site_down","target":"east"}'
bad 400 POST /api/step '{"events":' "$auth $TOKEN"
bad 400 POST /api/step '{"events":0}' "$auth $TOKEN"
bad 400 POST /api/step '{"steps":1}' "$auth $TOKEN"
bad 400 POST /api/speed '{"speed":-1}' "$auth $TOKEN"
bad 400 POST /api/speed '[1]' "$auth $TOKEN"
bad 400 POST /api/until '{"time":"2017-11-13 08:00"}' "$auth $TOKEN"
bad 400 POST /api/until '{"time":"teatime"}' "$auth $TOKEN"
bad 400 POST /api/faults '{"kind":"meteor","target":"east"}' "$auth $TOKEN"
bad 400 POST /api/faults '{"kind":"site_down","target":"atlantis"}' "$auth $TOKEN"
bad 400 POST /api/faults '{"kind":"site_down","target":"east","colour":"red"}' "$auth $TOKEN"
bad 400 POST /api/faults 'not json' "$auth $TOKEN"
bad 404 DELETE /api/faults/7 "" "$auth $TOKEN"
bad 400 GET '/api/events?limit=0'
bad 400 GET '/api/flows/abc'
{ printf '{"events":1,"pad":"'; head -c 200000 /dev/zero | tr '\0' 'x'; printf '"}'; } >"$TMP/big.json"
bad 413 POST /api/step @"$TMP/big.json" "$auth $TOKEN"
call GET /api/state
expect_json "$B" . ".events == 0 and .now_us == $now0 and .state == \"paused\"" "the bad requests changed nothing"
call GET /api/faults
expect_json "$B" . '. == []' "no refused fault was recorded"

# one step is one event; the clock moves only with events
call POST /api/step '{"events":1}' "$auth $TOKEN"
[ "$code" = 200 ] || fail "step: $code $(cat "$B")"
expect_json "$B" . '.stepped == 1 and .events == 1' "one step is one event"
call POST /api/step '{"events":3}' "$auth $TOKEN"
expect_json "$B" .events '. == 4' "three more steps"
call POST /api/until '{"time":"08:45"}' "$auth $TOKEN"
[ "$code" = 200 ] || fail "until: $code $(cat "$B")"
for _ in $(seq 3000); do call GET /api/state; [ "$(field state)" = paused ] && break; sleep 0.05; done
expect_json "$B" .now '. == "2017-11-13 08:45:00"' "run until 08:45 stops there"
call POST /api/speed '{"speed":3600}' "$auth $TOKEN"
expect_json "$B" . '.speed == 3600 and .state == "paused"' "the speed changes, the run stays paused"
# the API reads
call GET /api/topology
[ "$code" = 200 ] || fail "topology: $code"
expect_json "$B" .counts.local_governments '. == 4' "the topology's local governments"
call GET /api/checks
expect_json "$B" '.invariants[0]' '.name == "no individual number on the network" and .held == true' "the checks"
call GET '/api/events?kind=send&node=east&limit=5'
expect_json "$B" .events 'length == 5 and all(.kind == "send" and (.node == "east" or .peer == "east"))' \
    "five send events of east"
call GET /api/state
expect_json "$B" .caption '.seq == 1 and (.ja | startswith("ようこそ"))' "the first caption"
call GET /api/faults/catalogue
expect_json "$B" '[.[].kind]' 'index("site_down") != null' "site_down in the catalogue"
# follow the next inquiry of a body; unknown bodies are refused
call POST /api/follow '{"body":"271004"}' "$auth $TOKEN"
[ "$code" = 200 ] || fail "follow: $code $(cat "$B")"
expect_json "$B" .following '. == "271004"' "following Osaka's next inquiry"
bad 400 POST /api/follow '{"body":"999999"}' "$auth $TOKEN"
# a fault from the API, then cleared
call POST /api/faults '{"kind":"site_down","target":"east","duration":"1h"}' "$auth $TOKEN"
[ "$code" = 200 ] || fail "inject: $code $(cat "$B")"
expect_json "$B" .id '. == 1' "the injected fault's id"
call GET /api/faults
expect_json "$B" '[.[] | select(.id == 1)]' 'length == 1 and .[0].kind == "site_down" and .[0].target == "east"' \
    "the fault listed"
call DELETE /api/faults/1 "" "$auth $TOKEN"
[ "$code" = 200 ] || fail "clear: $code $(cat "$B")"
# the static page is served
call GET /
[ "$code" = 200 ] && grep -q 'app.js' "$TMP/body" || fail "index.html: $code"
stop
[ "$STATUS" -eq 130 ] || fail "Ctrl-C during a served run exited $STATUS, expected 130"
expect_json "$TMP/ctl/summary.json" . '.interrupted == true and .end_reason == "interrupted" and .exit_status == 130' \
    "a summary after Ctrl-C"
expect_json "$TMP/ctl/summary.json" '.faults[0]' '.kind == "site_down" and .target == "east" and .end != null' \
    "the fault injected from the API, cleared"
finish
