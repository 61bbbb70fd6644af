# tests/cli_swarm.sh - `renkei swarm` (issue 12): bad options are one-line errors with exit 2;
# the shrinker reduces a 30-fault schedule holding the planted pair (--plant, testing only) to
# exactly that pair, and the written scenario replays the violation with `renkei run`; a swarm
# of 200 seeds over every fault kind and mirroring mode finds no violation. Asserted on
# swarm.json and summary.json, never on printed sentences or wall-clock time.
set -euo pipefail
source tests/lib.sh "$@"

# ---- bad options: one line, exit 2 -------------------------------------------------------------
bad() {
    expect_exit 2 swarm "$@" --out "$TMP/bad"
    expect_one_line "$TMP/err"
    expect_match "$TMP/err" '^renkei swarm: '
}
bad --seeds 0
bad --seeds many
bad --seeds -5
bad --first-seed -1
bad --jobs 0
bad --jobs 999
bad --modes quorum
bad --modes sync,
bad --modes ''
bad --kinds meteor
bad --faults-max 0
bad --faults-max 500
bad --inquiries 0
bad --residents x
bad --topology "$TMP/no-such-topology.lua"
bad --set novalue
bad --frobnicate
bad topologies/small.lua
bad --plant --faults-max 1
expect_exit 2 swarm --seeds
expect_one_line "$TMP/err"
[ ! -e "$TMP/bad/swarm.json" ] || fail "a refused command line wrote swarm.json"

# ---- the shrinker on the planted pair ------------------------------------------------------------
# 30 faults of kinds that break nothing today, with one nws_slow and one key_rotation among them:
# the planted bug makes that pair a violation; ddmin must keep exactly those two.
quiet=nws_down,jlis_down,corrupt,duplicate,flap,jlis_corrupt,corrupt_replica
expect_exit 1 swarm --plant --faults-max 30 --seeds 1 --first-seed 7 --modes sync --kinds $quiet --jobs 1 --out "$TMP/plant"
P="$TMP/plant/swarm.json"
expect_json "$P" '.violating' '. == 1' "the planted seed violates"
expect_json "$P" '.violations[0].invariant' '. == "planted_pair"' "the planted pair is the violation"
expect_json "$P" '.violations[0].faults' '. == 30' "a 30-fault schedule"
expect_json "$P" '.violations[0].shrunk_faults' '. == 2' "shrunk to the pair"
expect_json "$P" '.violations[0].shrink_runs' '. > 2' "shrinking took runs"
scenario=$(json "$P" '.violations[0].scenario')
[ -f "$scenario" ] || fail "no shrunk scenario at $scenario"
expect_match "$scenario" '^-- replay: +renkei run topologies/small\.lua .*swarm-7\.lua --seed 7$'
expect_match "$scenario" 'fault\.nws_slow'
expect_match "$scenario" 'fault\.key_rotation'
[ "$(grep -c 'end)   -- #' "$scenario")" -eq 2 ] || fail "the shrunk scenario holds more than two faults: $(cat "$scenario")"
# the written scenario is runnable and reproduces the violation
expect_exit 1 run topologies/small.lua "$scenario" --seed 7 -q --out "$TMP/replay"
expectation_failed "$TMP/replay/summary.json" "the swarm's checker saw no violation" '^planted_pair: '
h1=$(trace_hash "$TMP/replay")
expect_exit 1 run topologies/small.lua "$scenario" --seed 7 -q --out "$TMP/replay2"
expect_json "$TMP/replay2/summary.json" .trace_hash ". == \"$h1\"" "the replay gives the same trace hash"

# ---- every violation the swarm ever found and shrank replays clean now (tests/swarm/found) ------
for f in tests/swarm/found/swarm-*.lua; do
    seed=$(sed -n 's/^-- replay: .* --seed \([0-9]*\)$/\1/p' "$f")   # a seed may have two schedules
    expect_exit 0 run topologies/small.lua "$f" --seed "$seed" -q --out "$TMP/found$seed"
    expectation_held "$TMP/found$seed/summary.json" "the swarm's checker saw no violation"
done
# seed 6079: a failback accepted, then its release cut short by the flapping link: reported as
# abandoned (the holder keeps serving), not left hanging
expect_json "$TMP/found6079/summary.json" '.failover | [.failbacks, .abandoned_failbacks]' '. == [0, 1]' \
    "the cut-short failback is reported abandoned"

# ---- the swarm: 200 seeds, every kind and mode, no violation -------------------------------------
expect_exit 0 swarm --seeds 200 --jobs 2 --out "$TMP/ci"
S="$TMP/ci/swarm.json"
expect_json "$S" '.seeds_run' '. == 200' "200 seeds run"
expect_json "$S" '.errors' '. == 0' "no seed failed to run"
expect_json "$S" '.violating' '. == 0' "no seed broke an invariant"
expect_json "$S" '[.violations[] | "\(.seed) \(.mode) \(.invariant): \(.detail)"]' '. == []' "the violations"
expect_json "$S" '.modes' '.sync > 0 and .semisync > 0 and .async > 0' "every mirroring mode drawn"
expect_json "$S" '.kinds | length' '. == 16' "every fault kind allowed"
expect_json "$S" '.exit_status' '. == 0' "exit status recorded"
expect_json "$S" '.schedules_per_minute' '. > 0' "a throughput figure"
expect_json "$S" '.checker_share' '. > 0 and . < 1' "the checker's share of the time"
[ ! -s "$TMP/err" ] || fail "progress on stderr when it is not a terminal: $(head -c 200 "$TMP/err")"
finish
