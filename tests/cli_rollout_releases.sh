# tests/cli_rollout_releases.sh - releases, rework, gates and what-ifs in the rollout
# rehearsal (issue 19): known answers worked out by hand on the small topology
# (tests/lua/rollout_releases.lua, tests/lua/rollout_gates.lua), the what-if table against
# the plan, and bad release input as one file:line error with exit 2.
set -euo pipefail
source tests/lib.sh "$@"
SMALL=topologies/small.lua
REL=tests/lua/rollout_releases.lua
# milestone NAME: the milestone's entry in summary.json's schedule
milestone() { echo "[.schedule.milestones[] | select(.name == $(jq_str "$1"))] | .[0]"; }

# rework: the plan already holds spec 1.1's two days; 1.2 early costs each body two more
expect_exit 0 run $SMALL $REL -q --out "$TMP/plan"
expect_json "$TMP/plan/summary.json" .schedule.slip_days.rework '. == 0' "the plan: no rework beyond the plan's"
expect_json "$TMP/plan/summary.json" '.schedule | has("what_if")' '. == false' "no what-if, no what-if table"
expect_exit 0 run $SMALL $REL -q --set whatif=true --out "$TMP/whatif"
W="$TMP/whatif/summary.json"
expect_json "$W" .schedule.slip_days.rework '. == 8' "spec 1.2 early: 2 days of rework for each of the four bodies"
expect_json "$W" '[.schedule.slips[] | select(.cause == "rework")]' 'length == 4 and all(.phase == "vendor" and .days == 2)' \
    "the rework slips name the vendor work"
expect_json "$W" '.schedule.what_if.milestones[] | select(.name == "vendors done")' \
    '.plan == "2017-06-19" and .what_if == "2017-06-21" and .days == 2 and .what_if_met == false' \
    "the what-if table: vendors done 2 business days later than the plan"
expect_json "$W" .schedule.what_if.changes '. == [{"event": "spec 1.2", "planned": "2017-06-20", "actual": "2017-06-16"}]' \
    "the what-if table names the change"
# a version late pushes the next one: 1.1 on 06-21 holds 1.2 (planned 06-20) back to 06-21
expect_exit 0 run $SMALL $REL -q --set chain=true --out "$TMP/chain"
expect_json "$TMP/chain/summary.json" '.schedule.releases[] | select(.name == "spec") | .versions[2]' \
    '.event == "spec 1.2" and .planned == "2017-06-20" and .date == "2017-06-21" and .late == 1' \
    "spec 1.2 cannot land before 1.1"
# sensitivity: spec 1.0 five days late moves 'vendors done' most (+5: +3, then 1.2's rework)
expect_json "$TMP/plan/summary.json" '.schedule.sensitivity' \
    '.shift == 5 and .versions[0].event == "spec 1.0" and .versions[0].milestones["vendors done"] == 5' \
    "the version whose slip moves the milestones most comes first"
# uptake signals: design 1.0 taken up 3 business days after 06-01
expect_json "$TMP/plan/summary.json" '.schedule.signals' \
    '.as_of == ["2017-06-05", "2017-06-06"] and (.rows[] | select(.signal == "design 1.0") | .kind == "uptake" and .national == [0, 1] and .prefectures["130001"] == [0, 1])' \
    "the uptake of design 1.0: none on 06-05, all on 06-06"
# the same seed, the same schedule
expect_exit 0 run $SMALL $REL -q --set whatif=true --out "$TMP/whatif2"
expect_same_json "$W" "$TMP/whatif2/summary.json" .schedule "the same seed gives the same schedule"

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
finish
