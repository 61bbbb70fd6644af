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

# known answers, the east site up and then down for a day
expect_exit 0 run $SMALL tests/lua/rollout_known.lua $INV -q --out "$TMP/known"
expect_exit 0 run $SMALL tests/lua/rollout_known.lua $INV -q --set outage=true
expect_match "$TMP/out" 'LATE ready +2017-05-12  2017-05-15  2017-05-12  \(1 business days late\)'
expect_match "$TMP/out" 'largest outage +131016 +test +1 business days'

# the national plan: invariants, and the same seed gives the same schedule and trace
expect_exit 0 run $JAPAN $PLAN $INV -q --out "$TMP/a"
h1=$(hash_of)
for what in 'milestones +target +reached +planned' 'met +trial operation +2017-07-18' '^  readiness' \
            '^  critical path to .full operation.' '^  slips +business days by cause: dependency' \
            'largest capacity' '^  capacity +test_slots +per site' '1,788 ready for the live network'; do
    expect_match "$TMP/out" "$what"
done
expect_exit 0 run $JAPAN $PLAN -q --out "$TMP/b"
[ "$(hash_of)" = "$h1" ] || fail "the same seed gave a different trace"
sched() { sed -n '/"schedule":/,/"expectations":/p' "$1"; }
diff <(sched "$TMP/a/summary.json") <(sched "$TMP/b/summary.json") >/dev/null || fail "the same seed gave a different schedule"
expect_exit 0 run $JAPAN $PLAN -q --seed 2 --out "$TMP/c"
[ "$(hash_of)" != "$h1" ] || fail "another seed gave the same trace"
! diff <(sched "$TMP/a/summary.json") <(sched "$TMP/c/summary.json") >/dev/null || fail "another seed gave the same schedule"

# summary.json: the shape the dashboard renders
S="$TMP/a/summary.json"
for field in schedule phases group by phase start end members slips capacity dependency redo outage \
             milestones target date met p_meet p50 p90 planned readiness counts critical_path lg cause days \
             slip_days slips_total test_inquiries external waves; do
    expect_match "$S" "\"$field\":"
done
expect_match "$S" '"by":[[:space:]]*"prefecture"'
expect_match "$S" '"group":[[:space:]]*"130001"'
expect_match "$S" '"date":[[:space:]]*"2016-01-04"'
expect_match "$S" '"name":[[:space:]]*"trial operation"'

# the what-ifs run green, with the invariants
expect_exit 0 run $JAPAN $PLAN scripts/rollout/layout_late.lua $INV -q
expect_match "$TMP/out" 'largest dependency external +(layout_2016|vendor_test_env) '
expect_exit 0 run $JAPAN $PLAN scripts/rollout/site_outage.lua $INV -q
expect_match "$TMP/out" 'timeout [1-9][0-9]*'
expect_match "$TMP/out" 'largest outage +[0-9]+ +inter_agency_test +1 business days'   # failover after 4 h
expect_exit 0 run $JAPAN $PLAN scripts/rollout/site_outage.lua -q --set promote=manual
expect_match "$TMP/out" 'largest outage +[0-9]+ +inter_agency_test +5 business days'   # the whole week

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
