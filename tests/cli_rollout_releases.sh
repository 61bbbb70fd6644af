# tests/cli_rollout_releases.sh - releases, rework, gates and what-ifs in the rollout
# rehearsal (issue 19): known answers worked out by hand on the small topology
# (tests/lua/rollout_releases.lua, tests/lua/rollout_gates.lua), the what-if table against
# the plan, and bad release input as one file:line error with exit 2.
set -euo pipefail
source tests/lib.sh "$@"
SMALL=topologies/small.lua
REL=tests/lua/rollout_releases.lua
INV=tests/lua/rollout_invariants.lua
# milestone NAME: the milestone's entry in summary.json's schedule
milestone() { echo "[.schedule.milestones[] | select(.name == $(jq_str "$1"))] | .[0]"; }

# rework: the plan already holds spec 1.1's two days; 1.2 early costs each body three more
expect_exit 0 run $SMALL $REL -q --out "$TMP/plan"
expect_json "$TMP/plan/summary.json" .schedule.slip_days.rework '. == 0' "the plan: no rework beyond the plan's"
expect_json "$TMP/plan/summary.json" '.schedule | has("what_if")' '. == false' "no what-if, no what-if table"
expect_exit 0 run $SMALL $REL -q --set whatif=true --out "$TMP/whatif"
W="$TMP/whatif/summary.json"
expect_json "$W" .schedule.slip_days.rework '. == 12' "spec 1.2 early: 3 days of rework for each of the four bodies"
expect_json "$W" '[.schedule.slips[] | select(.cause == "rework")]' 'length == 4 and all(.phase == "vendor" and .days == 3)' \
    "the rework slips name the vendor work"
expect_json "$W" '.schedule.what_if.milestones[] | select(.name == "vendors done")' \
    '.plan == "2017-06-19" and .what_if == "2017-06-22" and .days == 3 and .what_if_met == false' \
    "the what-if table: vendors done 3 business days later than the plan"
expect_json "$W" .schedule.what_if.changes '. == [{"event": "spec 1.2", "planned": "2017-06-20", "actual": "2017-06-16"}]' \
    "the what-if table names the change"
# a version late pushes the next one: 1.1 on 06-21 holds 1.2 (planned 06-20) back to 06-21
expect_exit 0 run $SMALL $REL -q --set chain=true --out "$TMP/chain"
expect_json "$TMP/chain/summary.json" '.schedule.releases[] | select(.name == "spec") | .versions[2]' \
    '.event == "spec 1.2" and .planned == "2017-06-20" and .date == "2017-06-21" and .late == 1' \
    "spec 1.2 cannot land before 1.1"
# sensitivity: spec 1.1 five days late moves 'vendors done' most (+7: its rework and 1.2's
# grow with the work done), then spec 1.0 (+5) and spec 1.2 ('spec final' +5)
expect_json "$TMP/plan/summary.json" '[.schedule.sensitivity.versions[] | [.event, .milestones["vendors done"], .max]]' \
    '. == [["spec 1.1", 7, 7], ["spec 1.0", 5, 5], ["spec 1.2", 0, 5], ["design 1.0", 0, 0]]' \
    "each version five days late alone: the one that moves the milestones most first"
# uptake signals: design 1.0 taken up 3 business days after 06-01
expect_json "$TMP/plan/summary.json" '.schedule.signals' \
    '.as_of == ["2017-06-05", "2017-06-06"] and (.rows[] | select(.signal == "design 1.0") | .kind == "uptake" and .national == [0, 1] and .prefectures["130001"] == [0, 1])' \
    "the uptake of design 1.0: none on 06-05, all on 06-06"
# the same seed, the same schedule
expect_exit 0 run $SMALL $REL -q --set whatif=true --out "$TMP/whatif2"
expect_same_json "$W" "$TMP/whatif2/summary.json" .schedule "the same seed gives the same schedule"

# gates: the protection assessment (the live NWS refuses the body's inquiries until it is done,
# and while it has lapsed), the catalogue (evidence bundles or simulated), J-LIS's onboarding
# slots and an upgrade night; known answers in the script
G=tests/lua/rollout_gates.lua
expect_exit 0 run $SMALL $G -q --out "$TMP/gates"
S="$TMP/gates/summary.json"
expect_json "$S" .flows.inquiry.outcomes '.no_assessment == 2 and .not_found == 3' \
    "two inquiries refused for want of an assessment, the others answered"
expect_json "$S" '.schedule.gates[] | select(.phase == "catalogue")' \
    '.kind == "catalogue" and .passed == 2 and .held == ["131016", "401307"] and .evidence == [{"lg": "141003", "passes": true, "opens": "2017-06-12"}, {"lg": "401307", "passes": false, "opens": null}]' \
    "the catalogue gate: 141003 by its bundle on 06-12, 401307 held by a failed case"
expect_json "$S" '.schedule.gates[] | select(.phase == "pia")' '.kind == "pia" and .held == ["131016"]' "131016 has no assessment"
expect_json "$S" "$(milestone connected)" '.date == null and .met == false' "not every body connects"
expect_json "$S" .schedule.operator '.name == "J-LIS" and .operations_centre == "ops" and .onboarding == [{"phase": "sign_up", "capacity": "onboarding"}] and .upgrade_nights[0].event == "software 1.0"' \
    "J-LIS: onboarding slots and the upgrade night"
expect_match "$TMP/gates/trace.jsonl" '"node":"west","detail":"J-LIS upgrade night: software 1.0"'
# a long upgrade night is a disaster: 401307's inquiry at 10:00 the next morning times out
expect_exit 0 run $SMALL $G -q --set upgrade=14h --out "$TMP/gates_long"
expect_json "$TMP/gates_long/summary.json" .flows.inquiry.outcomes '.timeout == 1 and .no_assessment == 2' \
    "the upgrade night overran into the business day"

# the national plan from 2014: the invariants of any schedule, both gates before every connection,
# the sensitivity table, readiness signals; the same seed gives the same trace
JAPAN="topologies/japan.lua --set resident_scale=0.00001"
N14=scripts/rollout/national_2014.lua
expect_exit 0 run $JAPAN $N14 tests/lua/rollout_invariants.lua -q --out "$TMP/n14"
N="$TMP/n14/summary.json"
expect_json "$N" '[.schedule.milestones[].name]' '. == ["comprehensive test start", "inter-agency tests done", "trial operation", "full operation"]' \
    "the comprehensive test's start, trial and full operation"
expect_json "$N" '.schedule.releases | length' '. == 10' "ten releases"
expect_json "$N" '[.schedule.releases[] | select(.name == "design") | .versions[] | [.version, .planned]]' \
    '. == [["0.1", "2014-05-30"], ["1.0", "2014-08-08"], ["1.1", "2014-11-28"], ["1.2", "2015-02-27"], ["1.3", "2015-05-29"]]' \
    "the system design document's versions on the seed's dates"
expect_json "$N" '.schedule.sensitivity' '.shift == 40 and .versions[0].max > 0 and (.versions | length) == 28' \
    "each of the 28 versions two months late, the most moving first"
expect_json "$N" '.schedule.signals' \
    '.as_of[0] == "2015-04-14" and ([.rows[] | select(.signal == "if_spec 1.1") | .prefectures | length] == [47])' \
    "the uptake of the external interface spec 1.1 per prefecture on 2015-04-14"
expect_json "$N" '.schedule.slip_days' '.rework > 0 and .gate > 0' "rework and failed catalogue runs are slip causes"
expect_json "$N" '[.schedule.gates[] | .kind]' '. == ["pia", "catalogue"]' "two gates"
expect_trace_hash "$TMP/n14"
h14=$(trace_hash "$TMP/n14")
expect_exit 0 run $JAPAN $N14 -q --set sensitivity=0 --out "$TMP/n14b"
expect_json "$TMP/n14b/summary.json" .trace_hash ". == \"$h14\"" "the same seed gives the same trace (the sensitivity passes send nothing)"
# a what-if per release in one command: the test tool in October
expect_exit 0 run $JAPAN $N14 scripts/rollout/release_slip.lua $INV -q --set sensitivity=0 \
    --set release="test_tool 1.0" --set actual=2015-10-01 --out "$TMP/tool"
expect_json "$TMP/tool/summary.json" .schedule.what_if \
    '.changes == [{"event": "test_tool 1.0", "planned": "2015-07-31", "actual": "2015-10-01"}] and (.milestones | length) == 4' \
    "the what-if table: the tool in October against the plan"
# Monte Carlo: the same odds on one worker or three
expect_exit 0 run $JAPAN $N14 -q --set sensitivity=0 --runs 4 --jobs 1 --out "$TMP/mc1"
expect_exit 0 run $JAPAN $N14 -q --set sensitivity=0 --runs 4 --jobs 3 --out "$TMP/mc3"
expect_same_json "$TMP/mc1/summary.json" "$TMP/mc3/summary.json" '.monte_carlo | del(.wall_s, .jobs)' \
    "the Monte Carlo of the 2014 plan does not depend on the number of workers"

# bad release input: one line naming the file and the line, exit 2
bad() {   # name expected-message-regex, script on stdin
    cat >"$TMP/$1.lua"
    expect_exit 2 run $SMALL "$TMP/$1.lua" -q
    expect_one_line "$TMP/err"
    expect_match "$TMP/err" "^renkei: $TMP/$1.lua:[0-9]+: $2"
}
bad order "release 'spec': releases in the wrong order: version 1.1 comes after 1.2" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-01-30" }, { "1.2", "2015-02-27" }, { "1.1", "2015-03-31" } } }
LUA
bad dated "release 'spec': releases in the wrong order: version 1.1 \(2015-01-30\) is dated before 1.0 \(2015-02-27\)" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-02-27" }, { "1.1", "2015-01-30" } } }
LUA
bad noversion "phase 'vendor': release 'spec' has no version '1.5'" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-02-27" } } }
phase { name = "vendor", duration = 5, builds_on = "spec 1.5" }
LUA
bad noversion_after "phase 'vendor': release 'spec' has no version '2.0'" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-02-27" } } }
phase { name = "vendor", duration = 5, after = "spec 2.0" }
LUA
bad norelease "phase 'vendor': 'builds_on' names no release version \('layout 1.0'" <<'LUA'
phase { name = "vendor", duration = 5, builds_on = "layout 1.0" }
LUA
bad changed "release 'spec': version 1.0: 'changed' is a share of the release, 0 to 1" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-02-27", changed = 2 } } }
LUA
bad vafter "release version 'spec 1.0': unknown external event 'nws_spec 9' in 'after'" <<'LUA'
release { name = "spec", versions = { { "1.0", "2015-02-27", after = "nws_spec 9" } } }
phase { name = "vendor", duration = 5 }
LUA
bad upgrade "release 'sw': upgrade site 'north' is not a platform site" <<'LUA'
release { name = "sw", upgrade = { sites = { "north" } }, versions = { { "1.0", "2015-02-27" } } }
phase { name = "vendor", duration = 5 }
LUA
bad case "phase 'gate': gate on an unknown catalogue case 'CT-05.child_allowancee' \(not in the connection_catalogue of $TMP/case.lua:1\)" <<'LUA'
connection_catalogue { "CT-05.child_allowance", "CT-01" }
phase { name = "gate", duration = 5, catalogue = { cases = { "CT-05.child_allowancee" } } }
LUA
bad nocatalogue "phase 'gate': gate on catalogue case 'CT-05.child_allowance', but no connection_catalogue\{\} is declared" <<'LUA'
phase { name = "gate", duration = 5, catalogue = { cases = { "CT-05.child_allowance" } } }
LUA
bad bundle "phase 'gate': evidence bundle .*/nope.json: No such file or directory" <<'LUA'
connection_catalogue { "CT-05.child_allowance" }
phase { name = "gate", duration = 5, catalogue = { cases = { "CT-05.child_allowance" }, evidence = { ["131016"] = "nope.json" } } }
LUA
echo '{"cases": [{"id": "CT-05.child_allowance", "result": "passed"}], "finished_at": "2017-06-12"}' >"$TMP/badresult.json"
bad result "phase 'gate': evidence bundle $TMP/badresult.json: each case is" <<LUA
connection_catalogue { "CT-05.child_allowance" }
phase { name = "gate", duration = 5, catalogue = { cases = { "CT-05.child_allowance" }, evidence = { ["131016"] = "$TMP/badresult.json" } } }
LUA
bad stranger "phase 'gate': evidence for '999999', which does not take part in this phase" <<LUA
connection_catalogue { "CT-05.child_allowance" }
phase { name = "gate", duration = 5, catalogue = { cases = { "CT-05.child_allowance" }, evidence = { ["999999"] = "$TMP/badresult.json" } } }
LUA
finish
