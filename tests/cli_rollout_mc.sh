# tests/cli_rollout_mc.sh - Monte Carlo (--runs): odds converge on closed-form answers, the
# result does not depend on the number of workers, exit statuses over many runs, Ctrl-C.
set -euo pipefail
source tests/lib.sh "$@"
T=tests/lua/rollout_triangular.lua

# 1000 runs: P(meet) within four standard errors of the closed form
expect_exit 0 run $T -q --runs 1000 --out "$TMP/mc"
expect_match "$TMP/out" '^  runs +1000 of 1000 seeds \(1 to 1000\) on [0-9]+ worker'
check_p() {   # name expected
    awk -v name="$1" -v want="$2" '
        $1 == name && $4 == "±" { found = 1; p = $3; n = 1000; se = sqrt(want * (1 - want) / n)
            d = p - want; if (d < 0) d = -d
            if (d > 4 * se) { printf "p(meet) of %s is %s, expected %s +- %.4f\n", name, p, want, 4 * se; exit 1 } }
        END { if (!found) { print "no line for " name; exit 1 } }' "$TMP/out" || fail "$1: p(meet) off (see above)"
}
check_p triangular 0.666667
check_p lognormal 0.773270
# the triangular's P50 is day 7 (2016-04-12) and its P90 day 11 (2016-04-18), within a day
# (no "grep -q" at the end of a pipe: with pipefail, the writer's SIGPIPE would fail it)
expect_match "$TMP/out" '^ +triangular +2016-04-13  0\.[0-9]+ ± 0\.[0-9]+ +2016-04-1[123] +2016-04-(15|18|19)$'
# what matters: each milestone's own phase, and not the other (independent) one
grep -A1 -E '^ +triangular +2016' "$TMP/out" >"$TMP/tri"
expect_match "$TMP/tri" 'inputs that matter most: duration:tri_work \(r \+(0\.9[0-9]|1\.00)\)$'
grep -A1 -E '^ +lognormal +2016' "$TMP/out" >"$TMP/logn"
expect_match "$TMP/logn" 'inputs that matter most: duration:logn_work \(r \+(0\.[89][0-9]|1\.00)\)$'
S="$TMP/mc/summary.json"
expect_match "$S" '"monte_carlo":'
expect_match "$S" '"p_meet_se":'
expect_match "$S" '"runs":[[:space:]]*1000'
expect_match "$S" '"dates":'
# the base run's summary carries the odds in schedule.milestones too
sed -n '/"schedule":/,/"monte_carlo":/p' "$S" >"$TMP/sched"
expect_match "$TMP/sched" '"p_meet":[[:space:]]*0\.[0-9]'

# one worker or three: the same odds, dates and rankings (runs are folded in seed order)
expect_exit 0 run $T -q --runs 60 --jobs 1 --out "$TMP/j1"
expect_exit 0 run $T -q --runs 60 --jobs 3 --out "$TMP/j3"
strip() { sed -n '/"monte_carlo":/,$p' "$1" | grep -vE '"(wall_s|jobs|wall_s)":'; }
diff <(strip "$TMP/j1/summary.json") <(strip "$TMP/j3/summary.json") >/dev/null ||
    fail "the Monte Carlo result depends on the number of workers"
# the same seeds give the same result; other seeds another
expect_exit 0 run $T -q --runs 60 --seed 61 --jobs 2 --out "$TMP/s61"
! diff <(strip "$TMP/j1/summary.json") <(strip "$TMP/s61/summary.json") >/dev/null ||
    fail "seeds 61-120 gave the same result as seeds 1-60"

# an expectation that fails in some seeds: exit 1, with how many and the first seed to replay
expect_exit 1 run $T -q --runs 40 --set must_meet=triangular
expect_match "$TMP/out" 'FAIL the schedule completes: in [0-9]+ run\(s\); the first: renkei run tests/lua/rollout_triangular.lua --seed [0-9]+'
seed=$(sed -n 's/.*the first: renkei run .* --seed \([0-9]*\).*/\1/p' "$TMP/out" | head -1)
expect_exit 1 run $T -q --seed "$seed" --set must_meet=triangular   # and that seed fails alone
# a script error in the runs: exit 2
cat >"$TMP/bad.lua" <<'LUA'
phase { name = "a", scope = "national", duration = 1 }
at("2017-11-13 10:00", function() error("boom") end)
LUA
expect_exit 2 run "$TMP/bad.lua" -q --runs 4
expect_match "$TMP/out" 'error in seed 1: .*bad.lua:2: boom'
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
expect_match "$TMP/out" 'interrupted after [0-9]+ of 1000000 runs'
expect_match "$TMP/int/summary.json" '"interrupted":[[:space:]]*true'
finish
