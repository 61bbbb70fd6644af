# tests/cli_diff.sh - `renkei diff A/summary.json B/summary.json`: a rollout plan and its
# what-if (the east site down for a day) show the milestones that moved, how far and their
# odds; a disaster under two mirroring modes shows the outcome counts and RTO/RPO side by side;
# --json and --html write the comparison; bad input is one line and exit 2.
set -euo pipefail
source tests/lib.sh "$@"
SMALL=topologies/small.lua

expect_exit 0 run $SMALL tests/lua/rollout_known.lua -q --out "$TMP/plan"
expect_exit 0 run $SMALL tests/lua/rollout_known.lua -q --set outage=true --out "$TMP/whatif"
expect_exit 0 diff "$TMP/plan/summary.json" "$TMP/whatif/summary.json" --json "$TMP/d.json" --html "$TMP/d.html"
m='[.milestones[] | select(.name == "ready")][0]'
expect_json "$TMP/d.json" "$m" '.date == ["2017-05-12", "2017-05-15"] and .moved_days == 3 and .met == [true, false]' \
    "'ready' moved from 2017-05-12 to 2017-05-15, met only in the plan"
expect_json "$TMP/d.json" "$m" '.p_meet == [1, 0]' "the odds of 'ready' side by side"
expect_json "$TMP/d.json" '.flows.inquiry.outcomes.timeout' '. == [0, 1]' "the outage's timed-out test inquiry"
expect_match "$TMP/out" '^  ready +2017-05-12 2017-05-12 +2017-05-15 +\+3 d +yes +no'
expect_match "$TMP/d.html" '"comparison":'
# the same run against itself: nothing moved
expect_exit 0 diff "$TMP/plan/summary.json" "$TMP/plan/summary.json" --json "$TMP/same.json"
expect_json "$TMP/same.json" '[.milestones[].moved_days] | unique' '. == [0]' "a run against itself: nothing moved"

# a disaster in two modes: RTO and RPO per fault
args="$SMALL scripts/disasters/east_site_loss.lua -q --until 2017-11-13T11:00"
expect_exit 1 run $args --out "$TMP/sync"
expect_exit 1 run $args --set mirroring=async --out "$TMP/async"
expect_exit 0 diff "$TMP/sync/summary.json" "$TMP/async/summary.json" --json "$TMP/dis.json"
expect_json "$TMP/dis.json" '.faults[0]' '.kind == "site_down" and (.rto_s | length == 2 and all(. > 0)) and (.rpo_writes | length == 2)' \
    "the site loss's RTO and RPO in both runs"
expect_json "$TMP/sync/summary.json" '.faults[0].rto.restored_s' ". == $(jq '.faults[0].rto_s[0]' "$TMP/dis.json")" "A's RTO as in A"

# bad input: one line, exit 2
expect_exit 2 diff "$TMP/plan/summary.json"
expect_exit 2 diff "$TMP/plan/summary.json" "$TMP/nope.json"
expect_one_line "$TMP/err"
expect_match "$TMP/err" "^renkei: .*nope.json"
finish
