# tests/cli_rollout.sh - rollout rehearsal end to end: known answers on the small topology
# (with and without a site outage), the invariants of any schedule (dependencies, capacities)
# on the national plan and its what-ifs, the same seed giving the same schedule and trace,
# summary.json's "schedule", and bad schedule input as one file:line error with exit 2.
set -euo pipefail
source tests/lib.sh "$@"
SMALL=topologies/small.lua
JAPAN="topologies/japan.lua --set resident_scale=0.00001"
PLAN=scripts/rollout/national_2017.lua
INV=tests/lua/rollout_invariants.lua
ALL_SLIPS=tests/lua/rollout_all_slips.lua   # summary.json lists every slip, not the 1,000 largest
# largest CAUSE: the largest slip of that cause (summary.json lists them largest first)
largest() { echo "first(.schedule.slips[] | select(.cause == \"$1\"))"; }
# milestone NAME: the milestone's entry in summary.json's schedule
milestone() { echo "[.schedule.milestones[] | select(.name == $(jq_str "$1"))]"; }

# known answers, the east site up and then down for a day
expect_exit 0 run $SMALL tests/lua/rollout_known.lua $INV -q --out "$TMP/known"
expect_exit 0 run $SMALL tests/lua/rollout_known.lua $INV -q --set outage=true --out "$TMP/outage"
expect_json "$TMP/outage/summary.json" "$(milestone ready)" \
    'length == 1 and (.[0] | .met == false and .target == "2017-05-12" and .date == "2017-05-15" and .planned == "2017-05-12" and .days_late == 1)' \
    "'ready' late: 2017-05-15 for 2017-05-12, 1 business day"
expect_json "$TMP/outage/summary.json" "$(largest outage)" '.lg == "131016" and .phase == "test" and .days == 1' \
    "the largest outage slip: 131016's test, 1 business day"

# the national plan: invariants, and the same seed gives the same schedule and trace
expect_exit 0 run $JAPAN $PLAN $INV -q --out "$TMP/a"
S="$TMP/a/summary.json"
expect_json "$S" '.schedule.milestones | length' '. >= 1' "the plan's milestones"
expect_json "$S" "$(milestone "trial operation")" 'length == 1 and .[0].met == true and .[0].target == "2017-07-18"' \
    "'trial operation' met, target 2017-07-18"
expect_json "$S" .schedule '.members > 0 and (.readiness | length > 0)' "readiness day by day"
expect_json "$S" .schedule.critical_to '. == "full operation"' "the critical path to 'full operation'"
expect_json "$S" .schedule.slip_days '.dependency >= 0 and .capacity > 0' "slip days by cause, capacity slips among them"
expect_json "$S" '[.schedule.capacity[] | select(.name == "test_slots")]' 'length == 1 and .[0].per == "site"' \
    "the test_slots capacity, per site"
expect_json "$S" .schedule.live '. == 1788' "1,788 ready for the live network"
expect_trace_hash "$TMP/a"
h1=$(trace_hash "$TMP/a")
expect_exit 0 run $JAPAN $PLAN -q --out "$TMP/b"
expect_json "$TMP/b/summary.json" .trace_hash ". == \"$h1\"" "the same seed gives the same trace"
expect_same_json "$S" "$TMP/b/summary.json" .schedule "the same seed gives the same schedule"
expect_exit 0 run $JAPAN $PLAN -q --seed 2 --out "$TMP/c"
expect_trace_hash "$TMP/c"
expect_json "$TMP/c/summary.json" .trace_hash ". != \"$h1\"" "another seed gives another trace"
expect_other_json "$S" "$TMP/c/summary.json" .schedule "another seed gives another schedule"

# summary.json: the shape the dashboard renders
fields='"schedule" "phases" "group" "by" "phase" "start" "end" "members" "slips" "capacity" "dependency" "redo"
        "outage" "milestones" "target" "date" "met" "p_meet" "p50" "p90" "planned" "readiness" "counts"
        "critical_path" "lg" "cause" "days" "slip_days" "slips_total" "test_inquiries" "external" "waves"'
expect_json "$S" '[paths | last | strings] | unique' "[$(echo $fields | tr ' ' ,)] - . == []" \
    "summary.json has every field of the schedule"
expect_json "$S" '[.schedule.phases[] | select(.group == "130001")]' 'length > 0 and all(.by == "prefecture")' \
    "Gantt rows per prefecture (Tokyo's)"
expect_json "$S" .schedule.readiness[0].date '. == "2016-01-04"' "readiness from the first day"

# the what-ifs run green, with the invariants
expect_exit 0 run $JAPAN $PLAN scripts/rollout/layout_late.lua $INV $ALL_SLIPS -q --out "$TMP/late"
expect_json "$TMP/late/summary.json" "$(largest dependency)" \
    '.lg == "external" and (.phase == "layout_2016" or .phase == "vendor_test_env")' "the largest dependency: a late external event"
expect_exit 0 run $JAPAN $PLAN scripts/rollout/site_outage.lua $INV $ALL_SLIPS -q --out "$TMP/outage_auto"
expect_json "$TMP/outage_auto/summary.json" '[.flows[].outcomes.timeout // 0] | add' '. >= 1' "test inquiries timed out"
expect_json "$TMP/outage_auto/summary.json" "$(largest outage)" \
    '(.lg | test("^[0-9]+$")) and .phase == "inter_agency_test" and .days == 1' "failover after 4 h: 1 business day lost"
expect_exit 0 run $JAPAN $PLAN scripts/rollout/site_outage.lua $ALL_SLIPS -q --set promote=manual --out "$TMP/outage_manual"
expect_json "$TMP/outage_manual/summary.json" "$(largest outage)" \
    '(.lg | test("^[0-9]+$")) and .phase == "inter_agency_test" and .days == 5' "no failover: the whole week lost"

# bad schedule input: one line naming the file and the line, exit 2
bad() {   # name expected-message-regex, script on stdin
    cat >"$TMP/$1.lua"
    expect_exit 2 run $SMALL "$TMP/$1.lua" -q
    expect_one_line "$TMP/err"
    expect_match "$TMP/err" "^renkei: $TMP/$1.lua:[0-9]+: $2"
}
bad cycle "phase 'b': cyclic dependency \(b after a after c after b\)" <<'LUA'
phase { name = "a", duration = 1, after = "c" }
phase { name = "b", duration = 1, after = "a" }
phase { name = "c", duration = 1, after = "b" }
LUA
bad self "phase 'a': cyclic dependency \(it comes after itself\)" <<'LUA'
phase { name = "a", duration = 1, after = "a" }
LUA
bad member "wave 'w1': unknown local government '999999'" <<'LUA'
wave { name = "w1", codes = { "131016", "999999" } }
phase { name = "a", duration = 1 }
LUA
bad twice "wave 'w2': 131016 is already in wave 'w1'" <<'LUA'
wave { name = "w1", codes = { "131016" } }
wave { name = "w2", codes = { "141003", "131016" } }
phase { name = "a", duration = 1 }
LUA
bad empty "wave 'w2' selects no local government" <<'LUA'
wave { name = "w1" }
wave { name = "w2", prefectures = { "13" } }
phase { name = "a", duration = 1 }
LUA
bad window "phase 'a': the window ends \(2017-03-31\) before it starts \(2017-10-01\)" <<'LUA'
phase { name = "a", duration = 1, window = { "2017-10-01", "2017-03-31" } }
LUA
bad unknown "phase 'b': unknown phase or external event 'prepp' in 'after'" <<'LUA'
phase { name = "a", duration = 1 }
phase { name = "b", duration = 1, after = { "a", "prepp" } }
LUA
bad negative "phase 'a': a duration cannot be negative" <<'LUA'
phase { name = "a", duration = -3 }
LUA
bad tri "dist.triangular: need lo <= mode <= hi" <<'LUA'
phase { name = "a", duration = dist.triangular(5, 3, 10) }
LUA
bad nodur "phase 'a': 'duration' is required" <<'LUA'
phase { name = "a" }
LUA
bad option "phase: unknown option 'durations'" <<'LUA'
phase { name = "a", durations = 3 }
LUA
bad capacity "phase 'a': unknown capacity 'staff'" <<'LUA'
phase { name = "a", duration = 1, uses = "staff" }
LUA
bad units "capacity 'c': units must be at least 1" <<'LUA'
capacity { name = "c", per = "site", units = 0 }
LUA
bad key "capacity 'c': 'north' is not a site" <<'LUA'
capacity { name = "c", per = "site", units = { default = 2, north = 3 } }
phase { name = "a", duration = 1, uses = "c" }
LUA
bad milestone "milestone 'm': unknown phase or external event 'z' in 'after'" <<'LUA'
phase { name = "a", duration = 1 }
milestone { name = "m", target = "2017-12-01", after = "z" }
LUA
bad date "bad date '2017-02-30'" <<'LUA'
external { name = "e", date = "2017-02-30" }
LUA
bad partner "phase 'a': test partner 'mars' is not a local government or an agency" <<'LUA'
phase { name = "a", duration = 1, tests = { partner = "mars" } }
LUA
bad revise "revise: nothing is declared with the name 'nope'" <<'LUA'
phase { name = "a", duration = 1 }
revise("nope", { duration = 2 })
LUA
bad late "phase: the schedule is fixed once the run has started" <<'LUA'
phase { name = "a", duration = 1 }
at("2017-11-13 10:00", function() phase { name = "b", duration = 1 } end)
LUA
finish
