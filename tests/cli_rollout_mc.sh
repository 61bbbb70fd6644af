# tests/cli_rollout_mc.sh - Monte Carlo (--runs): odds converge on closed-form answers, the
# result does not depend on the number of workers, exit statuses over many runs, Ctrl-C.
set -euo pipefail
source tests/lib.sh "$@"
T=tests/lua/rollout_triangular.lua

# 1000 runs: P(meet) within four standard errors of the closed form
expect_exit 0 run $T -q --runs 1000 --out "$TMP/mc"
S="$TMP/mc/summary.json"
expect_json "$S" .monte_carlo '.runs == 1000 and .first_seed == 1 and .last_seed == 1000 and .jobs >= 1' \
    "1000 runs of seeds 1 to 1000 on some workers"
# mc NAME: the milestone's odds in summary.json
mc() { echo "[.monte_carlo.milestones[] | select(.name == \"$1\")] | if length == 1 then .[0] else error(\"no one milestone $1\") end"; }
check_p() {   # name expected
    expect_json "$S" "$(mc "$1")" "(.p_meet - $2 | fabs) <= 4 * ($2 * (1 - $2) / 1000 | sqrt)" \
        "$1: p(meet) within four standard errors of $2"
}
check_p triangular 0.666667
check_p lognormal 0.773270
# the triangular's P50 is day 7 (2016-04-12) and its P90 day 11 (2016-04-18), within a day
expect_json "$S" "$(mc triangular)" \
    '.target == "2016-04-13" and (.p50 | test("^2016-04-1[123]$")) and (.p90 | test("^2016-04-(15|18|19)$"))' \
    "the triangular's target, P50 and P90"
# what matters: each milestone's own phase, and not the other (independent) one
expect_json "$S" "$(mc triangular) | [.inputs[] | select(.significant)]" \
    'length == 1 and .[0].input == "duration:tri_work" and .[0].correlation >= 0.895' \
    "the triangular's only significant input: its own duration, r >= 0.90"
expect_json "$S" "$(mc lognormal) | [.inputs[] | select(.significant)]" \
    'length == 1 and .[0].input == "duration:logn_work" and .[0].correlation >= 0.795' \
    "the lognormal's only significant input: its own duration, r >= 0.80"
expect_json "$S" .monte_carlo.milestones 'length == 2 and all(has("p_meet_se") and (.dates | length > 0))' \
    "each milestone's standard error and spread of dates"
# the base run's summary carries the odds in schedule.milestones too
expect_json "$S" '[.schedule.milestones[] | .p_meet]' 'length == 2 and all(. > 0 and . < 1)' \
    "schedule.milestones carry the odds"

# one worker or three: the same odds, dates and rankings (runs are folded in seed order)
expect_exit 0 run $T -q --runs 60 --jobs 1 --out "$TMP/j1"
expect_exit 0 run $T -q --runs 60 --jobs 3 --out "$TMP/j3"
expect_json "$TMP/j3/summary.json" .monte_carlo.jobs '. == 3' "three workers"
result='{monte_carlo: (.monte_carlo | del(.wall_s, .jobs)), expectations, replay, exit_status}'
expect_same_json "$TMP/j1/summary.json" "$TMP/j3/summary.json" "$result" \
    "the Monte Carlo result does not depend on the number of workers"
# the same seeds give the same result; other seeds another
expect_exit 0 run $T -q --runs 60 --seed 61 --jobs 2 --out "$TMP/s61"
expect_other_json "$TMP/j1/summary.json" "$TMP/s61/summary.json" .monte_carlo.milestones \
    "seeds 61-120 give other odds than seeds 1-60"

# an expectation that fails in some seeds: exit 1, with how many and the first seed to replay
expect_exit 1 run $T -q --runs 40 --set must_meet=triangular --out "$TMP/must"
M="$TMP/must/summary.json"
# the first failing seed's replay command (\(...) is jq's string interpolation)
replay="renkei run tests/lua/rollout_triangular.lua --seed \(.first_seed) --set 'must_meet=triangular'"
expect_json "$M" '[.monte_carlo.expectations_failed[] | select(.name == "the schedule completes")]' \
    "length == 1 and (.[0] | .runs >= 1 and .replay == \"$replay\")" \
    "the schedule failed in some runs, with the first one's replay command"
expect_json "$M" .exit_status '. == 1' "the summary's exit status"
seed=$(json "$M" '.monte_carlo.expectations_failed[0].first_seed')
expect_exit 1 run $T -q --seed "$seed" --set must_meet=triangular   # and that seed fails alone
# a script error in the runs: exit 2
cat >"$TMP/bad.lua" <<'LUA'
phase { name = "a", scope = "national", duration = 1 }
at("2017-11-13 10:00", function() error("boom") end)
LUA
expect_exit 2 run "$TMP/bad.lua" -q --runs 4 --out "$TMP/boom"
expect_json "$TMP/boom/summary.json" .monte_carlo '.errors >= 1 and .first_error_seed == 1 and (.first_error | test("bad.lua:2: boom"))' \
    "the first error, in seed 1"
# usage
expect_exit 2 run $T --runs 0
expect_match "$TMP/err" '--runs: expected a number of runs'
expect_exit 2 run $T --runs 5 --speed 10
expect_exit 2 run $T --jobs 2
expect_match "$TMP/err" '--jobs goes with --runs'
# a bad script is one error, not one per run
cat >"$TMP/cycle.lua" <<'LUA'
phase { name = "a", scope = "national", duration = 1, after = "b" }
phase { name = "b", scope = "national", duration = 1, after = "a" }
LUA
expect_exit 2 run "$TMP/cycle.lua" --runs 10
expect_one_line "$TMP/err"
expect_match "$TMP/err" 'cycle.lua:[12]: phase .[ab].: cyclic dependency \((a after b after a|b after a after b)\)'

# Ctrl-C: the runs done so far are reported, exit 130
"$RENKEI" run $T -q --runs 1000000 --out "$TMP/int" >"$TMP/out" 2>"$TMP/err" &
pid=$!
# Ctrl-C is watched once the workers run (before, while the scripts load, it ends the
# process at once, as for a single run): wait for them to exist
for _ in $(seq 200); do
    [ -s "/proc/$pid/task/$pid/children" ] && break
    sleep 0.05
done
sleep 0.2
kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
[ "$status" -eq 130 ] || fail "interrupted Monte Carlo exited $status, expected 130"
I="$TMP/int/summary.json"
expect_json "$I" .interrupted '. == true' "the summary says the runs were interrupted"
expect_json "$I" .exit_status '. == 130' "the summary's exit status"
expect_json "$I" .monte_carlo '.runs >= 0 and .runs < 1000000 and .last_seed - .first_seed + 1 == 1000000' \
    "interrupted after some of the 1000000 runs"
finish
