# tests/cli_law.sh - the flows as the My Number Act runs them, from Lua on topologies/small.lua
# (issue 13): code acquisition per Art. 21-2 with the 住基ネット link cut by a fault; staff
# accounts at the inquirer's server; every refusal of bad input is a file:line error, exit 2.
set -euo pipefail
source tests/lib.sh "$@"
T=topologies/small.lua

refused() {
    local file=$1 line=$2 re=$3; shift 3
    expect_exit 2 run "$@" "$file" -q
    expect_match "$TMP/err" "^renkei: $file:$line: $re"
    expect_one_line "$TMP/err"
}
script() { cat >"$TMP/$1.lua"; echo "$TMP/$1.lua"; }

# --- code acquisition: the municipality's 住基ネット link to J-LIS, cut by a fault ---------
f=$(script juki <<'LUA'
local ends = {}
on_flow_end(function(ev) ends[#ends + 1] = ev end)
local baby
at("09:00", function()
  baby = new_resident("131016")
  fault.link_cut("131016", "jlis", { duration = "1h" })
  acquire_code("131016", baby)
end)
at("11:00", function() acquire_code("131016", baby) end)
expect("cut: unreachable at once", function()
  return ends[1] and ends[1].outcome == "unreachable" and ends[1].latency < 1e6, ends[1] and ends[1].outcome
end)
expect("restored: ok", function() return ends[2] and ends[2].outcome == "ok", ends[2] and ends[2].outcome end)
LUA
)
expect_exit 0 run "$T" "$f" -q --out "$TMP/juki"
S="$TMP/juki/summary.json"
expectation_held "$S" "cut: unreachable at once"
expectation_held "$S" "restored: ok"
invariant_held "$S" "no node but the NWS holds a resident-derived key and an agency code of one person"
# what each hop carried: J-LIS gets the resident-record code from the municipality itself, and
# never a code; the NWS answers the site's interface system
J="$TMP/juki/trace.jsonl"
expect_json "$J" '[.[] | select(.kind == "send" and .peer == "jlis" and .detail.body.resident_code != null)] | length' \
    '. >= 1' "the resident-record code went to J-LIS"
expect_json "$J" '[.[] | select(.kind == "send" and .peer == "jlis") | .node] | unique' '. == ["131016"]' \
    "only the municipality itself talks to J-LIS"
expect_json "$J" '[.[] | select(.kind == "send" and (.node == "jlis" or .peer == "jlis") and .detail.body.agency_code != null)] | length' \
    '. == 0' "J-LIS never carries an agency code"
expect_json "$J" '[.[] | select(.kind == "send" and .node == "nws" and .detail.type == "code_response") | .peer] | unique' \
    '. == ["east.ifs"]' "the NWS answers the site's interface system"
expect_json "$J" '[.[] | select(.kind == "send" and .detail.type == "code_response" and .detail.body.acquisition_no != null) | .node] | unique' \
    '. == ["east.ifs", "nws"]' "the code comes back with its acquisition number, as far as the server"

# the code-acquisition walkthrough: the real three-party path, hop by hop
expect_exit 0 run "$T" scripts/training/code_acquisition.lua -q --out "$TMP/walk"
expect_json "$TMP/walk/trace.jsonl" \
    '[.[] | select(.kind == "send" and (.detail.type == "code_request" or .detail.type == "code_response"))
       | [.node, .peer, .detail.type, (.detail.body | del(.flow) | keys)]]' \
    '. == [["131016", "east", "code_request", ["addressee_no"]],
           ["east", "131016", "code_request", ["acquisition_no", "addressee_no"]],
           ["131016", "jlis", "code_request", ["acquisition_no", "resident_code"]],
           ["jlis", "nws", "code_request", ["acquisition_no", "person_key"]],
           ["nws", "east.ifs", "code_response", ["acquisition_no", "agency_code"]],
           ["east.ifs", "east", "code_response", ["acquisition_no", "agency_code"]],
           ["east", "131016", "code_response", ["addressee_no"]]]' \
    "the walkthrough's hops: server, 住基ネット to J-LIS, NWS, interface system, server"
expectation_held "$TMP/walk/summary.json" "the code was acquired"
expect_exit 0 run "$T" scripts/training/child_allowance.lua -q --out "$TMP/child"
expectation_held "$TMP/child/summary.json" "the family's disclosure shows the inquiry"

# --- staff accounts: bad input is refused with file:line -----------------------------------
f=$(script staff_proc <<<'staff { body = "271004", id = 7, procedures = { "no_such_procedure" } }')
refused "$f" 1 "staff: procedure no_such_procedure is not in the permission table" "$T"
f=$(script staff_id <<<'staff { body = "271004", id = 0, procedures = { "child_allowance" } }')
refused "$f" 1 "staff: 'id' must be an integer" "$T"
f=$(script staff_body <<<'staff { body = "east", id = 7, procedures = { "child_allowance" } }')
refused "$f" 1 "staff: 'east' is not a local government or an agency" "$T"

# --- staff accounts at work: refused at Osaka's own server ---------------------------------
f=$(script staff <<'LUA'
staff { body = "271004", id = 7, procedures = { "child_allowance" } }
local out = {}
on_flow_end(function(ev) out[ev.flow] = ev.outcome end)
local a, b
at("09:00", function()
  a = inquire { from = "271004", addressee = 1, procedure = "child_allowance", provider = "131016", staff = 8 }
end)
expect("staff 8 has no account at Osaka", function() return out[a] == "staff_not_permitted", out[a] end)
LUA
)
expect_exit 0 run "$T" "$f" -q --out "$TMP/staff"
expectation_held "$TMP/staff/summary.json" "staff 8 has no account at Osaka"
expect_json "$TMP/staff/summary.json" '.flows.inquiry.outcomes.staff_not_permitted // .flows.inquiry.staff_not_permitted' '. == 1' \
    "counted as staff_not_permitted"

# --- the calendar: a national holiday brings no inquiry, no new resident, no batch; outside
# operating hours, an explicit answer ---------------------------------------------------------
expect_exit 0 run "$T" tests/lua/calendar_days.lua -q --out "$TMP/cal"
C="$TMP/cal/summary.json"
expectation_held "$C" "the holiday: no inquiry, no new resident, no batch"
expectation_held "$C" "the days around it: inquiries, new residents, the batch"
expectation_held "$C" "an inquiry at 20:00 is answered outside_operating_hours"
expect_json "$C" .flows.inquiry.outcomes.outside_operating_hours '. == 1' "counted as outside_operating_hours"
# --- planned stops: announced, the desks ask nothing in them; a surprise, an explicit answer --
expect_exit 0 run "$T" tests/lua/maintenance.lua -q --out "$TMP/maint"
M="$TMP/maint/summary.json"
expectation_held "$M" "the announced stop: the desks start nothing in it"
expectation_held "$M" "an inquiry in the announced stop is answered planned_maintenance"
expectation_held "$M" "the surprise stop: the desks' inquiries are each answered planned_maintenance"
expect_json "$M" .flows.inquiry '(.outcomes.planned_maintenance // 0) > 20 and (.outcomes.timeout // 0) == 0' \
    "counted as planned_maintenance, none timed out"
f=$(script maint_nodur <<<'maintenance { from = "2017-11-13 10:00" }')
refused "$f" 1 "maintenance: needs from \(a time\) and duration" "$T"
f=$(script maint_late <<<'maintenance { from = "2017-11-13 10:00", duration = "1h", announced = "2017-11-13 11:00" }')
refused "$f" 1 "maintenance: announced after the stop starts" "$T"
f=$(script maint_overlap <<<'maintenance { from = "2017-11-13 10:00", duration = "2h" }
maintenance { from = "2017-11-13 11:00", duration = "2h" }')
refused "$f" 2 "maintenance: overlaps another planned stop" "$T"
f=$(script maint_zero <<<'maintenance { from = "2017-11-13 10:00", duration = "0s" }')
refused "$f" 1 "maintenance: duration must be positive" "$T"
f=$(script hours_bad <<<'operating_hours { open = "18:00", close = "09:00" }')
refused "$f" 1 "operating_hours: open and close must be times of day" "$T"
f=$(script cal_bad <<<'workload { holidays = "no" }')
refused "$f" 1 "workload: holidays must be true" "$T"

# --- the citizen's view: disclose(person), 不開示 withheld, bad input refused and harmless ----
f=$(script disclose <<'LUA'
mynaportal {}
ASK_BAD = ASK_BAD or false
local mover
for a = 1, 5000 do
  local r = resident("271004", a)
  if r.current and r.moved_from and r.moved_from.name == "131016" then mover = a break end
end
local person = resident("271004", mover).person
local open, hidden, rows
on_flow_end(function(ev) end)
at("09:00", function()
  inquire { from = "271004", addressee = mover, procedure = "child_allowance", provider = "131016", staff = 7 }
  inquire { from = "271004", addressee = mover, procedure = "child_allowance", provider = "131016", staff = 7, withheld = true }
end)
local errors = {}
at("10:00", function()
  rows = disclose(person)
  if ASK_BAD then
    errors[1] = select(2, pcall(disclose, "131016"))
    errors[2] = select(2, pcall(disclose, 10000000))
  end
end)
expect("one row disclosed, the 不開示 one withheld", function()
  return #rows == 1 and rows[1].provider == "131016" and rows[1].procedure == "child_allowance"
         and rows[1].outcome == "provided", json_encode(rows)
end)
if ASK_BAD then
  expect("a body is refused", function() return string.find(errors[1], "a body has no disclosure", 1, true) ~= nil, errors[1] end)
  expect("an unknown person is refused", function() return string.find(errors[2], "no person 10000000", 1, true) ~= nil, errors[2] end)
end
LUA
)
{ echo "ASK_BAD = true"; cat "$f"; } >"$TMP/disclose_bad.lua"
expect_exit 0 run "$T" "$f" -q --out "$TMP/disc"
expect_exit 0 run "$T" "$TMP/disclose_bad.lua" -q --out "$TMP/disc_bad"
expectation_held "$TMP/disc/summary.json" "one row disclosed, the 不開示 one withheld"
expectation_held "$TMP/disc_bad/summary.json" "a body is refused"
expectation_held "$TMP/disc_bad/summary.json" "an unknown person is refused"
invariant_held "$TMP/disc/summary.json" "every provision appears in the person's disclosure unless marked 不開示"
expect_json "$TMP/disc_bad/summary.json" .trace_hash ". == \"$(trace_hash "$TMP/disc")\"" \
    "refused disclosures change nothing (same trace hash)"
f=$(script disclose_body <<<'mynaportal {}
disclose("131016")')
refused "$f" 2 "disclose: give a person .*a body has no disclosure" "$T"
f=$(script disclose_none <<<'disclose(1)')
refused "$f" 1 "disclose: there is no マイナポータル in this run" "$T"

# the dashboard API: GET /api/disclosure?person=N, at the end of the same run served
PID=""
trap 'if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT
{ cat "$TMP/disclose.lua"; echo 'at("10:01", function() log("disclosure of person " .. person) end)'; } >"$TMP/disc_api.lua"
serve "$T" "$TMP/disc_api.lua" --serve 127.0.0.1:0
served_to_end
P=$(sed -n 's/.*disclosure of person \([0-9]*\).*/\1/p' "$TMP/serve.out" | head -1)
[ -n "$P" ] || fail "the script did not say whose disclosure"
call GET "/api/disclosure?person=$P"
[ "$code" = 200 ] || fail "GET /api/disclosure: $code"
expect_json "$TMP/body" '[.rows[] | {provider, procedure, outcome}]' \
    '. == [{"provider": "131016", "procedure": "child_allowance", "outcome": "provided"}]' "the API shows the one row"
call GET "/api/disclosure?person=99999999"
[ "$code" = 404 ] || fail "an unknown person: $code, expected 404"
call GET "/api/disclosure?person=131016x"
[ "$code" = 400 ] || fail "a malformed person: $code, expected 400"
call GET "/api/disclosure"
[ "$code" = 400 ] || fail "no person: $code, expected 400"
kill "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=""

# --- who inquires: agencies at their weight, prefecture-only procedures from prefectures ----
# (the scripts read data/permissions.lua beside them: run from a copy with the table)
mkdir -p "$TMP/who/data"
cp tests/lua/who/*.lua "$TMP/who/"
cp topologies/data/permissions.lua "$TMP/who/data/"
expect_exit 0 run "$TMP/who/topology.lua" "$TMP/who/who_inquires.lua" -q --out "$TMP/who/out"
W="$TMP/who/out/summary.json"
expectation_held "$W" "pension inquires at its weight (within 5 standard errors)"
expectation_held "$W" "Tokyo prefecture inquires"
expectation_held "$W" "no municipality asks a prefecture-only procedure (the NWS would refuse it)"
expectation_held "$W" "a municipality's prefecture-only inquiry is not permitted"

finish
