# tests/cli_faults.sh - disasters: every fault of the catalogue takes effect and ends
# (tests/lua/faults_each.lua), site loss at random moments in synchronous and asynchronous
# mode, split brain refused, nemesis across seeds, replay of a failing seed, bad fault
# specifications. Run from the repository root with the renkei binary as argument.
set -euo pipefail
source tests/lib.sh "$@"
T=topologies/small.lua

expect_exit 0 run $T tests/lua/faults_each.lua -q --out "$TMP/each"
expect_match "$TMP/each/summary.json" '"kind":[[:space:]]*"corrupt_replica"'
expect_match "$TMP/each/trace.jsonl" '"kind":"fault","detail":"fault 1 crash injected: east"'
expect_match "$TMP/each/trace.jsonl" '"kind":"msg_fault".*"detail":"duplicated"'

# site loss at a random moment (the seed draws it): synchronous loses nothing acknowledged;
# asynchronous loses exactly the unshipped tail, and across the seeds some loss is seen
lost=0
for seed in 1 2 3 4 5 6 7 8 9 10; do
    expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed
    expect_match "$TMP/out" 'RPO 0 write\(s\) lost'
    [ "$seed" -gt 4 ] || expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed --set replication=semisync
    expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed --set replication=async
    n=$(sed -n 's/.*RPO \([0-9]*\) write(s) lost.*/\1/p' "$TMP/out")
    lost=$((lost + ${n:-0}))
done
[ "$lost" -gt 0 ] || fail "asynchronous mode lost nothing across ten random site losses: the measure sees no tail"

# a crash that loses the unreplicated state: resync before serving; sync loses nothing acknowledged
lost=0
for seed in 1 2 3 4 5; do
    expect_exit 0 run $T tests/lua/failover_lose_state.lua -q --seed $seed
    expect_exit 0 run $T tests/lua/failover_lose_state.lua -q --seed $seed --set replication=async
    n=$(sed -n 's/.*RPO \([0-9]*\) write(s) lost.*/\1/p' "$TMP/out")
    lost=$((lost + ${n:-0}))
done
[ "$lost" -gt 0 ] || fail "losing the unreplicated state never lost an acknowledged write in asynchronous mode"

expect_exit 0 run $T tests/lua/failover_split_brain.lua -q --out "$TMP/sb"
expect_match "$TMP/sb/trace.jsonl" 'refused: east is alive .*split brain'
expect_match "$TMP/sb/trace.jsonl" '"node":"east","detail":"fenced'

# nemesis: every flow ends exactly once, no split brain, no acknowledged write lost
for seed in 1 2 3; do
    expect_exit 0 run $T tests/lua/nemesis_week.lua -q --seed $seed
done

# a failing nemesis run prints its replay command; running it gives the same failure and hash
expect_exit 1 run $T tests/lua/nemesis_fails.lua -q --seed 7
h1=$(hash_of)
replay=$(sed -n 's/^  replay     renkei run //p' "$TMP/out")
[ -n "$replay" ] || fail "no replay command printed"
eval "set -- $replay"
expect_exit 1 run "$@" -q
[ "$(hash_of)" = "$h1" ] || fail "the replay gave another trace hash"
expect_match "$TMP/out" 'FAIL no inquiry timed out'

# bad fault specifications: one line naming the file and line, exit 2
for bad in fault_unknown_node:"unknown node 'no-such-site'" fault_negative:"must not be negative" \
           fault_unknown_kind:"unknown fault kind 'meteor'" fault_bad_option:"unknown option 'speed'" \
           fault_no_link:"no link between"; do
    file=${bad%%:*}
    msg=${bad#*:}
    expect_exit 2 run $T tests/lua/bad/$file.lua
    expect_match "$TMP/err" "tests/lua/bad/$file.lua:[0-9]+: .*$msg"
    expect_one_line "$TMP/err"
done
finish
