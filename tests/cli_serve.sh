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

# serve RUN_ARGS...: start renkei serving in the background; sets PID, BASE, TOKEN
serve() {
    "$RENKEI" run "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    PID=$!
    for _ in $(seq 3000); do   # a hang guard
        grep -q 'dashboard at' "$TMP/serve.out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    local url
    url=$(sed -n 's/^renkei: dashboard at \(http:[^#]*\)#token=\([0-9a-f]*\)$/\1 \2/p' "$TMP/serve.out")
    BASE=${url% *}
    TOKEN=${url#* }
    [ -n "$BASE" ] || { fail "no dashboard URL printed: $(cat "$TMP/serve.out" "$TMP/serve.err")"; finish; }
}
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
field() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" "$TMP/body" | head -1 | tr -d '"'; }

# --- the trace with and without the dashboard -----------------------------------------------
expect_exit 0 run $T -q --out "$TMP/plain"
plain=$(hash_of)
[ -n "$plain" ] || fail "no hash from the plain run"

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
[ "$(field exit_status)" = 0 ] || fail "the page is told the exit status: $(cat "$TMP/body")"
# the trainer's flow: Osaka's inquiry hop by hop, each hop with its step and lanes
call GET /api/flows/pick
steps=$(grep -o '"step":"[a-z_]*"' "$TMP/body" | cut -d'"' -f4 | tr '\n' ' ')
want="inquiry_request inquiry_converted inquiry_to_nws inquiry_nws_converted inquiry_to_provider provision_answer provision_sealed provision_nws_relay provision_opened provision_delivered "
[ "$steps" = "$want" ] || fail "the inquiry's hops: $steps"
grep -q '"from_lane":"nws","to_lane":"provider_ifs"' "$TMP/body" || fail "lanes: $(head -c 400 "$TMP/body")"
grep -q '"outcome":"ok"' "$TMP/body" && grep -q '"procedure":{"id":"child_allowance"' "$TMP/body" || fail "flow summary: $(head -c 300 "$TMP/body")"
stop
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
[ "$STATUS" -eq 0 ] || fail "served run exited $STATUS after the end (expected its result, 0)"
served=$(sed -n 's/.*sha256 \([0-9a-f]\{64\}\).*/\1/p' "$TMP/serve.out")
[ "$served" = "$plain" ] || fail "serving changed the trace: $served != $plain"
cmp -s "$TMP/plain/trace.jsonl" "$TMP/served/trace.jsonl" || fail "served trace.jsonl differs"
grep -q '^event: tick' "$TMP/stream" || fail "the stream carried no updates"
grep -q '"caption":{"seq":' "$TMP/stream" || fail "the stream carried no caption"
[ -s "$TMP/served/report.html" ] || fail "no report.html"
[ ! -s "$TMP/serve.err" ] || fail "the served run wrote to stderr: $(cat "$TMP/serve.err")"

# --- controls and bad requests on a paused run ----------------------------------------------
serve $T -q --serve 127.0.0.1:0
call GET /api/state
[ "$code" = 200 ] && [ "$(field state)" = paused ] || fail "a served run starts paused: $code $(cat "$TMP/body")"
events0=$(field events)
[ "$events0" = 0 ] || fail "events before any step: $events0"
now0=$(field now_us)

# each bad request: its status, a one-line JSON error, and nothing changed
bad() {
    local want=$1; shift
    call "$@"
    [ "$code" = "$want" ] || fail "$1 $2 ${3:-}: status $code, expected $want: $(cat "$TMP/body")"
    grep -q '^{"error":"[^"]*","status":[0-9]*}$' "$TMP/body" || fail "$1 $2: not a one-line JSON error: $(cat "$TMP/body")"
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
[ "$(field events)" = "$events0" ] && [ "$(field now_us)" = "$now0" ] && [ "$(field state)" = paused ] ||
    fail "a bad request changed the run: $(cat "$TMP/body")"
call GET /api/faults
[ "$(cat "$TMP/body")" = "[]" ] || fail "a refused fault was recorded: $(cat "$TMP/body")"

# one step is one event; the clock moves only with events
call POST /api/step '{"events":1}' "$auth $TOKEN"
[ "$code" = 200 ] && [ "$(field stepped)" = 1 ] && [ "$(field events)" = 1 ] || fail "step: $code $(cat "$TMP/body")"
call POST /api/step '{"events":3}' "$auth $TOKEN"
[ "$(field events)" = 4 ] || fail "three steps: $(cat "$TMP/body")"
call POST /api/until '{"time":"08:45"}' "$auth $TOKEN"
[ "$code" = 200 ] || fail "until: $code $(cat "$TMP/body")"
for _ in $(seq 3000); do call GET /api/state; [ "$(field state)" = paused ] && break; sleep 0.05; done
[ "$(field now)" = "2017-11-13 08:45:00" ] || fail "run until 08:45 stopped at $(field now)"
call POST /api/speed '{"speed":3600}' "$auth $TOKEN"
[ "$(field speed)" = 3600 ] && [ "$(field state)" = paused ] || fail "speed: $(cat "$TMP/body")"
# the API reads
call GET /api/topology
[ "$code" = 200 ] && grep -q '"local_governments":4' "$TMP/body" || fail "topology: $(head -c 300 "$TMP/body")"
call GET /api/checks
grep -q '"invariants":\[{"name":"no individual number on the network","held":true' "$TMP/body" || fail "checks: $(head -c 300 "$TMP/body")"
call GET '/api/events?kind=send&node=east&limit=5'
[ "$(grep -oE '"kind":"send","node":"[a-z.]+","peer":"[a-z.]+"' "$TMP/body" | grep -c '"east"')" -eq 5 ] || fail "events: $(head -c 300 "$TMP/body")"
grep -q '"caption":{"seq":1,"ja":"ようこそ' "$TMP/body" 2>/dev/null || { call GET /api/state; grep -q '"caption":{"seq":1,"ja":"ようこそ' "$TMP/body" || fail "the caption: $(head -c 300 "$TMP/body")"; }
call GET /api/faults/catalogue
grep -q '"kind":"site_down"' "$TMP/body" || fail "catalogue: $(head -c 300 "$TMP/body")"
# follow the next inquiry of a body; unknown bodies are refused
call POST /api/follow '{"body":"271004"}' "$auth $TOKEN"
[ "$code" = 200 ] && grep -q '"following":"271004"' "$TMP/body" || fail "follow: $code $(cat "$TMP/body")"
bad 400 POST /api/follow '{"body":"999999"}' "$auth $TOKEN"
# a fault from the API, then cleared
call POST /api/faults '{"kind":"site_down","target":"east","duration":"1h"}' "$auth $TOKEN"
[ "$code" = 200 ] && [ "$(field id)" = 1 ] || fail "inject: $code $(cat "$TMP/body")"
call GET /api/faults
grep -q '"id":1,"kind":"site_down","target":"east"' "$TMP/body" || fail "fault list: $(head -c 300 "$TMP/body")"
call DELETE /api/faults/1 "" "$auth $TOKEN"
[ "$code" = 200 ] || fail "clear: $code $(cat "$TMP/body")"
# the static page is served
call GET /
[ "$code" = 200 ] && grep -q 'app.js' "$TMP/body" || fail "index.html: $code"
stop
[ "$STATUS" -eq 130 ] || fail "Ctrl-C during a served run exited $STATUS, expected 130"
grep -q 'ended: interrupted' "$TMP/serve.out" || fail "no summary after Ctrl-C"
finish
