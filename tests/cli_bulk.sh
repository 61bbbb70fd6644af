# tests/cli_bulk.sh - bulk initial code acquisition (issue 13) on topologies/small.lua, with
# answers known by hand (tests/lua/bulk_days.lua: 10 of the twin's residents a business day):
# N residents take ceil(N/10) business days, holidays and weekends skipped; two bodies share
# the capacity and the second takes the combined time; a day of J-LIS down or of a planned
# stop costs one day, nothing lost and nothing acquired twice; every hop keeps the
# unlinkability invariant; bad input is a file:line error, exit 2, or refused at run time
# with nothing queued; summary.json and GET /api/bulk give the figures.
set -euo pipefail
source tests/lib.sh "$@"
T=topologies/small.lua
B=tests/lua/bulk_days.lua

bulk_run() {   # CASE: run the case, its summary in $TMP/CASE/summary.json
    expect_exit 0 run "$T" "$B" --set case="$1" -q --out "$TMP/$1"
}
body_of() { echo "[.bulk_acquisition.bodies[] | select(.body == \"$1\")] | .[0]"; }
figures() { echo '.expectations[0].message | fromjson'; }   # the script's own record of the days

# --- one body: 25 residents at 10 a day: 3 business days ------------------------------------
bulk_run one
S="$TMP/one/summary.json"
expect_json "$S" "$(body_of 131016)" '.queued == 25 and .acquired == 25 and .failed == 0 and .waiting == 0 and .days == 3 and .done' \
    "25 residents at 10 a day: 3 business days"
expect_json "$S" "$(figures).done_on[\"131016\"]" '. == "2017-11-15"' "done on the third business day (Wednesday)"
expect_json "$S" .bulk_acquisition '.jlis_per_day == 20000 and .nws_per_day == 40000 and .twin_per_day == 10' \
    "the capacities, and the twin's share at residents{}'s scale (the smaller of the two)"
expect_json "$S" .flows.code_request '.started == 25 and .outcomes.ok == 25' "25 code acquisitions, each ok"
invariant_held "$S" "no node but the NWS holds a resident-derived key and an agency code of one person"
invariant_held "$S" "every flow ends exactly once"

# --- a national holiday and a weekend on the way: still 3 business days ----------------------
bulk_run holiday
S="$TMP/holiday/summary.json"
expect_json "$S" "$(body_of 131016)" '.acquired == 25 and .days == 3' "3 business days across a holiday"
expect_json "$S" "$(figures).done_on[\"131016\"]" '. == "2017-11-27"' \
    "from Wednesday 11-22: Thursday 11-23 (勤労感謝の日) and the weekend skipped, done Monday 11-27"

# --- two bodies share the capacity: the second takes the combined time ----------------------
bulk_run two
S="$TMP/two/summary.json"
expect_json "$S" "$(body_of 131016)" '.acquired == 25 and .days == 3' "the first queued: 3 business days"
expect_json "$S" "$(body_of 141003)" '.acquired == 15 and .days == 4' "the second: ceil((25 + 15) / 10) = 4 business days"
expect_json "$S" "$(figures).done_on" '. == {"131016": "2017-11-15", "141003": "2017-11-16"}' "their last days"

# --- J-LIS down all of Tuesday: a day later, nothing lost, nothing acquired twice ------------
bulk_run jlis_down
S="$TMP/jlis_down/summary.json"
expect_json "$S" "$(body_of 131016)" '.queued == 25 and .acquired == 25 and .failed == 0 and .days == 4 and .retried > 0' \
    "a day of J-LIS down: 4 business days, the batches waited and resumed"
expect_json "$S" "$(figures).done_on[\"131016\"]" '. == "2017-11-16"' "done on Thursday instead of Wednesday"
expect_json "$S" .flows.code_request '.outcomes.ok == 25' "exactly 25 acquisitions ended ok"
grep '"code_response"' "$TMP/jlis_down/trace.jsonl" >"$TMP/responses.jsonl" || true
expect_json "$TMP/responses.jsonl" '[.[] | select(.kind == "send" and .node == "nws")] | [length, ([.[].detail.body.agency_code] | unique | length)]' \
    '. == [25, 25]' "the NWS issued 25 codes, each once: nobody acquired twice"
grep '"jlis"' "$TMP/jlis_down/trace.jsonl" >"$TMP/jlis.jsonl" || true
expect_json "$TMP/jlis.jsonl" '[.[] | select(.kind == "send" and (.node == "jlis" or .peer == "jlis") and .detail.body.agency_code != null)] | length' \
    '. == 0' "J-LIS never carries an agency code on the bulk path"
expect_json "$TMP/jlis.jsonl" '[.[] | select(.kind == "send" and .peer == "jlis") | .node] | unique' '. == ["131016"]' \
    "the resident-record codes leave through the municipality's own 住基ネット connection"
invariant_held "$S" "no node but the NWS holds a resident-derived key and an agency code of one person"
invariant_held "$S" "every flow ends exactly once"

# --- a body's own systems down: its residents wait, the bodies queued behind it go on -------
bulk_run lg_down
S="$TMP/lg_down/summary.json"
expect_json "$S" "$(body_of 141003)" '.acquired == 15 and .days == 3' "横浜市 is not held up behind 千代田区's crash"
expect_json "$S" "$(body_of 131016)" '.queued == 25 and .acquired == 25 and .days == 4' "千代田区 resumes when it is back"
expect_json "$S" "$(figures).done_on" '. == {"131016": "2017-11-16", "141003": "2017-11-15"}' "their last days"
invariant_held "$S" "every flow ends exactly once"

# --- a planned stop all of Tuesday, announced: the desks send nothing in it, a day later -----
bulk_run maintenance
S="$TMP/maintenance/summary.json"
expect_json "$S" "$(body_of 131016)" '.acquired == 25 and .days == 4 and .attempts == 25' \
    "an announced day-long stop: 4 business days, no batch sent into it"

# --- a whole population without codes the day before (residents{ without_codes }) -----------
# (the topology reads data/permissions.lua beside it: run from a copy with the table)
mkdir -p "$TMP/nc/data"
cp topologies/data/permissions.lua "$TMP/nc/data/"
sed 's/^residents { scale = param("resident_scale", 0.0005), moved = 0.3 }$/residents { scale = 0.0005, moved = 0.3, without_codes = { "131016" } }/' \
    "$T" >"$TMP/nc/small.lua"
grep -q without_codes "$TMP/nc/small.lua" || fail "the copy of small.lua has no without_codes"
cat >"$TMP/nc/whole.lua" <<'LUA'
finish "2017-11-17 17:15"
bulk_settings { jlis_per_day = 20000 }
local before = {}
at("08:30", function() before = { bulk_acquire { body = { "131016", "271004" } } } end)
expect("queued", function() return before[1] == 33, before[1] end)
LUA
expect_exit 0 run "$TMP/nc/small.lua" "$TMP/nc/whole.lua" -q --out "$TMP/nc/out"
S="$TMP/nc/out/summary.json"
expectation_held "$S" "queued"
expect_json "$S" "$(body_of 131016)" '.queued == 33 and .acquired == 33 and .days == 4' \
    "千代田区's 33 residents (66,680 x 0.0005) without codes: ceil(66,680 / 20,000) = 4 business days"
expect_json "$S" "$(body_of 271004)" '.queued == 0 and .acquired == 0' "大阪市's residents have their codes: none queued"
invariant_held "$S" "no node but the NWS holds a resident-derived key and an agency code of one person"
sed 's/^residents { scale = param("resident_scale", 0.0005), moved = 0.3 }$/residents { scale = 0.0005, without_codes = { "pension" } }/' \
    "$T" >"$TMP/nc/bad.lua"
line=$(grep -n without_codes "$TMP/nc/bad.lua" | cut -d: -f1)
expect_exit 2 run "$TMP/nc/bad.lua" -q
expect_match "$TMP/err" "^renkei: $TMP/nc/bad.lua:$line: residents: without_codes: 'pension' is not a local government"

# --- bad input ---------------------------------------------------------------------------------
refused() {
    local file=$1 line=$2 re=$3
    expect_exit 2 run "$T" "$file" -q
    expect_match "$TMP/err" "^renkei: $file:$line: $re"
    expect_one_line "$TMP/err"
}
script() { cat >"$TMP/$1.lua"; echo "$TMP/$1.lua"; }
# name | the script (one line) | the error after "file:1: "
while IFS='|' read -r -u 3 name lua re; do
    f=$(script "$name" <<<"$lua")
    refused "$f" 1 "$re"
done 3<<'CASES'
unknown|bulk_acquire { body = "999999" }|unknown node '999999'
agency|bulk_acquire { body = "pension" }|bulk_acquire: 'pension' is an agency
empty|bulk_acquire { body = {} }|bulk_acquire: 'body' is an empty list
zero|bulk_settings { jlis_per_day = 0 }|bulk_settings: 'jlis_per_day' must be a whole number of persons per day above 0
negative|bulk_settings { nws_per_day = -5 }|bulk_settings: 'nws_per_day' must be a whole number of persons per day above 0
fraction|bulk_settings { nws_per_day = 2.5 }|bulk_settings: 'nws_per_day' must be a whole number of persons per day above 0
every|bulk_settings { every = "0s" }|bulk_settings: 'every' must be a duration above 0
nobody|bulk_acquire { from = "2017-11-13 09:00" }|bulk_acquire: needs body
option|bulk_acquire { body = "131016", capacity = 3 }|bulk_acquire: unknown option
CASES
# a list with an agency in it, at run time: refused whole, nothing queued, the run unchanged
bulk_run bad_list
S="$TMP/bad_list/summary.json"
expect_json "$S" "$(figures).refused" 'test("bulk_acquire: .pension. is an agency")' "the list is refused"
expect_json "$S" '.bulk_acquisition' '. == null' "nothing was queued (not even 131016, which came first)"
expect_json "$S" .flows.code_request '. == null' "no code acquisition started"

# --- a rollout phase of bulk acquisition: its days from the population and the shared capacity --
expect_exit 0 run "$T" tests/lua/rollout_bulk.lua -q --out "$TMP/rollout"
expectation_held "$TMP/rollout/summary.json" "the days of code acquisition"
expect_exit 0 run "$T" tests/lua/rollout_bulk.lua --set alone=true -q --out "$TMP/rollout_alone"
expectation_held "$TMP/rollout_alone/summary.json" "the days of code acquisition"
expect_other_json "$TMP/rollout/summary.json" "$TMP/rollout_alone/summary.json" \
    '.schedule.milestones[] | select(.name == "codes acquired") | .date' "what else is queued decides the phase's duration"
# the shipped what-if on the national plan: every body's phase done, the cities first
expect_exit 0 run topologies/japan.lua scripts/rollout/national_2017.lua scripts/rollout/bulk_codes.lua \
    --set resident_scale=0.00001 -q --out "$TMP/national"
expectation_held "$TMP/national/summary.json" "every body's codes were acquired"
expect_json "$TMP/national/summary.json" '[.schedule.phases[] | select(.phase == "initial_codes" and .by == "wave") | .done] | add' \
    '. == 1788' "all 1,788 local governments acquired their codes in the phase"
f=$(script phase_dur <<<'phase { name = "codes", bulk_acquisition = true, duration = 3 }')
refused "$f" 1 "phase 'codes': a bulk_acquisition phase is each body's .* and takes no 'duration'"
f=$(script phase_scope <<<'phase { name = "codes", bulk_acquisition = true, scope = "national" }')
refused "$f" 1 "phase 'codes': a bulk_acquisition phase is each body's"
f=$(script phase_tests <<<'phase { name = "codes", bulk_acquisition = true, tests = true }')
refused "$f" 1 "phase 'codes': a bulk_acquisition phase has no tests"
f=$(script phase_bool <<<'phase { name = "codes", bulk_acquisition = "yes" }')
refused "$f" 1 "phase 'codes': 'bulk_acquisition' is true or false"

# --- GET /api/bulk on a served run -------------------------------------------------------------
PID=""
trap 'if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT
serve "$T" "$B" --set case=two --serve 127.0.0.1:0
served_to_end
call GET /api/bulk
[ "$code" = 200 ] || fail "GET /api/bulk: $code"
expect_json "$TMP/body" '[.bodies[] | {body, acquired, days}]' \
    '. == [{"body": "131016", "acquired": 25, "days": 3}, {"body": "141003", "acquired": 15, "days": 4}]' \
    "the API gives each body's progress"
kill "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=""
serve "$T" --serve 127.0.0.1:0
call GET /api/bulk
[ "$code" = 409 ] || fail "GET /api/bulk without bulk_acquire: $code, expected 409"
kill "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=""

finish
