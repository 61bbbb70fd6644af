# tests/cli_shard.sh - runs beyond one machine (issue 18): --runs N --shard K/N and
# swarm --shard K/N on four "machines", combined by renkei merge, give exactly the summary
# (swarm.json) one machine gives (but for wall-clock figures and the worker count); shards of
# different runs, a missing, doubled or incomplete shard are refused.
set -euo pipefail
source tests/lib.sh "$@"
strip() { jq -S 'del(.wall_s, .events_per_s, .sim_per_wall, .monte_carlo.wall_s, .monte_carlo.jobs)' "$1"; }

# a rollout (odds, dates, rankings) and a scenario whose every seed fails an expectation (exit 1)
for T in tests/lua/rollout_triangular.lua tests/lua/fail.lua; do
    name=$(basename "$T" .lua)
    run_renkei run $T -q --runs 30 --jobs 2 --out "$TMP/$name/one"
    want=$status
    for k in 1 2 3 4; do
        run_renkei run $T -q --runs 30 --shard $k/4 --jobs 1 --out "$TMP/$name/s$k"
        [ "$k" -ne 1 ] && [ -e "$TMP/$name/s$k/summary.json" ] && fail "shard $k wrote a summary (only shard 1 runs the base seed)"
        [ -e "$TMP/$name/s$k/PARTIAL" ] && fail "shard $k left PARTIAL"
        expect_json "$TMP/$name/s$k/shard.json" '[.shard_k, .shard_n, .count]' ". == [$k, 4, (($k * 30 / 4 | floor) - (($k - 1) * 30 / 4 | floor))]" "shard $k ran its block of seeds"
    done
    expect_exit "$want" merge --out "$TMP/$name/merged" "$TMP/$name/s3" "$TMP/$name/s1" "$TMP/$name/s4" "$TMP/$name/s2"
    cmp -s <(strip "$TMP/$name/one/summary.json") <(strip "$TMP/$name/merged/summary.json") ||
        fail "$name: 4 shards merged differ from one run: $(diff <(strip "$TMP/$name/one/summary.json") <(strip "$TMP/$name/merged/summary.json") | head -8)"
    expect_json "$TMP/$name/merged/summary.json" .monte_carlo '.runs == 30 and .requested == 30 and .shard == null' "$name: the whole Monte Carlo"
    expect_trace_hash "$TMP/$name/merged"
    [ "$(sha256sum <"$TMP/$name/merged/trace.jsonl" | cut -c1-64)" = "$(trace_hash "$TMP/$name/merged")" ] || fail "$name: the merged trace is not the base run's"
    [ -s "$TMP/$name/merged/report.html" ] || fail "$name: no report.html"
done
S="$TMP/rollout_triangular"
expect_json "$S/s1/summary.json" .monte_carlo '.shard == "1/4" and .runs == 7' "shard 1's own summary says it is a share"

# ---- refused: a missing shard, the same shard twice, another run's shard, an incomplete one ----
expect_exit 2 merge --out "$TMP/bad" "$S/s1" "$S/s2" "$S/s3"
expect_match "$TMP/err" "^renkei: merge: .* is shard [0-9] of 4: expected the 3 shards of one run$"
expect_exit 2 merge --out "$TMP/bad" "$S/s1" "$S/s2" "$S/s3" "$S/s3"
expect_match "$TMP/err" "are both shard 3$"
expect_exit 0 run tests/lua/rollout_triangular.lua -q --runs 30 --seed 5 --shard 4/4 --out "$TMP/other4"
expect_exit 2 merge --out "$TMP/bad" "$S/s1" "$S/s2" "$S/s3" "$TMP/other4"
expect_match "$TMP/err" "its seed differs from .*: shards of different runs$"
touch "$S/s2/PARTIAL"
expect_exit 2 merge --out "$TMP/bad" "$S/s1" "$S/s2" "$S/s3" "$S/s4"
expect_match "$TMP/err" "s2 is incomplete \(PARTIAL\)"
[ -e "$TMP/bad/summary.json" ] && fail "a refused merge wrote a summary"

# ---- the swarm: 4 shards merged equal one swarm (its violations, shrunk scenarios too) -----
# --plant makes every seed a violation (nws_slow with key_rotation): each is shrunk and written
A="--seeds 8 --inquiries 200 --residents 20 --faults-max 2 --plant --kinds nws_slow,key_rotation"
expect_exit 1 swarm $A --jobs 2 --out "$TMP/sw/one"
for k in 1 2 3 4; do expect_exit 1 swarm $A --jobs 1 --shard $k/4 --out "$TMP/sw/s$k"; done
expect_exit 1 merge --out "$TMP/sw/merged" "$TMP/sw/s2" "$TMP/sw/s1" "$TMP/sw/s4" "$TMP/sw/s3"
# the scenarios' paths name their directory: compared by file name
swarm_strip() {
    jq -S 'del(.wall_s, .schedules_per_minute, .checker_share, .jobs)
           | .violations |= map(.scenario |= (if . then sub(".*/"; "") else . end)
                                | .replay |= (if . then sub(" [^ ]*/swarm-"; " swarm-") else . end))' "$1"
}
cmp -s <(swarm_strip "$TMP/sw/one/swarm.json") <(swarm_strip "$TMP/sw/merged/swarm.json") ||
    fail "4 swarm shards merged differ from one swarm: $(diff <(swarm_strip "$TMP/sw/one/swarm.json") <(swarm_strip "$TMP/sw/merged/swarm.json") | head -8)"
expect_json "$TMP/sw/merged/swarm.json" '[.seeds_run, (.violations | length), .shard_n]' '. == [8, 8, null]' "the whole swarm, every violation"
for f in "$TMP"/sw/one/swarm-*.lua; do
    # the same scenario, its replay line naming where it is now
    g="$TMP/sw/merged/$(basename "$f")"
    cmp -s <(sed "s|$TMP/sw/one/|DIR/|" "$f") <(sed "s|$TMP/sw/merged/|DIR/|" "$g") || fail "$(basename "$f") differs after the merge"
done
expect_exit 2 merge --out "$TMP/bad" "$TMP/sw/one"
expect_match "$TMP/err" "is a whole swarm, not a shard"
expect_exit 2 merge --out "$TMP/bad" "$TMP/sw/s1" "$TMP/sw/s2" "$S/s3" "$TMP/sw/s4"
expect_exit 2 swarm $A --shard 9/8 --out "$TMP/u"

# ---- usage ---------------------------------------------------------------------------------
expect_exit 2 run tests/lua/rollout_triangular.lua -q --shard 1/4 --out "$TMP/u"
expect_exit 2 run tests/lua/rollout_triangular.lua -q --runs 10 --shard 5/4 --out "$TMP/u"
expect_exit 2 run tests/lua/rollout_triangular.lua -q --runs 10 --shard 1/4
expect_exit 2 run tests/lua/rollout_triangular.lua -q --runs 3 --shard 1/4 --out "$TMP/u"
expect_exit 2 merge "$S/s1"
finish
