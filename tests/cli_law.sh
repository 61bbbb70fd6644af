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
f=$(script hours_bad <<<'operating_hours { open = "18:00", close = "09:00" }')
refused "$f" 1 "operating_hours: open and close must be times of day" "$T"
f=$(script cal_bad <<<'workload { holidays = "no" }')
refused "$f" 1 "workload: holidays must be true" "$T"

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
