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

# failures are charged by cause (issue 12, defects 6 and 7): nothing is left uncharged; a slow
# disk and a harmless degradation active at the same time as a partition are charged nothing
# and cut off no tenant (no RTO); the partition cuts off 大阪市 only, which serves again; a
# crashed body never serves again, so its fault's maximum RTO is "never" (null)
expect_exit 0 run $T tests/lua/fault_causes.lua -q --out "$TMP/causes"
C="$TMP/causes/summary.json"
expect_json "$C" '.failures_uncharged' '. == {}' "every failure charged to a fault"
expect_json "$C" '.failures_by_cause' '.link_down > 0' "the partition's failures are link_down"
expect_json "$C" '.faults[0] | [.kind, (.failed.inquiry.timeout > 0), .rto.tenants, (.rto.per_tenant_s | keys)]' \
    '. == ["partition", true, 1, ["271004"]]' "the partition cut off 大阪市 alone"
expect_json "$C" '.faults[0].rto | [.never, (.max_s > 7200)]' '. == [0, true]' "大阪市 served again after the partition"
expect_json "$C" '[.faults[1,2] | [.kind, .failed, .rto.tenants, .rto.max_s]]' \
    '. == [["disk_slow", {}, 0, null], ["degrade", {}, 0, null]]' "the slow disk and the degradation cost nothing"
expect_json "$C" '.faults[3] | [.kind, .rto.tenants, .rto.never, .rto.max_s, .rto.per_tenant_s["401307"]]' \
    '. == ["crash", 1, 1, null, null]' "the crashed body never serves again: RTO never"

# site loss at a random moment (the seed draws it): synchronous loses nothing acknowledged;
# asynchronous loses exactly the unshipped tail, and across the seeds some loss is seen
# $rpo: the RPO figures (acknowledged writes lost) of the faults that lost a site's tenants
rpo='[.faults[].rpo | select(.) | .writes_lost]'
lost=0
for seed in 1 2 3 4 5 6 7 8 9 10; do
    expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed --out "$TMP/sync$seed"
    expect_json "$TMP/sync$seed/summary.json" "$rpo" 'length >= 1 and all(. == 0)' "synchronous, seed $seed: RPO 0 writes lost"
    [ "$seed" -gt 4 ] || expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed --set mirroring=semisync
    expect_exit 0 run $T tests/lua/failover_random_loss.lua -q --seed $seed --set mirroring=async --out "$TMP/async$seed"
    expect_json "$TMP/async$seed/summary.json" "$rpo" 'length >= 1' "asynchronous, seed $seed: the RPO is measured"
    n=$(json "$TMP/async$seed/summary.json" "$rpo | add // 0")
    lost=$((lost + ${n:-0}))
done
[ "$lost" -gt 0 ] || fail "asynchronous mode lost nothing across ten random site losses: the measure sees no tail"

# a crash that loses the unmirrored state: resync before serving; sync loses nothing acknowledged
lost=0
for seed in 1 2 3 4 5; do
    expect_exit 0 run $T tests/lua/failover_lose_state.lua -q --seed $seed
    expect_exit 0 run $T tests/lua/failover_lose_state.lua -q --seed $seed --set mirroring=async --out "$TMP/state$seed"
    expect_json "$TMP/state$seed/summary.json" "$rpo" 'length >= 1' "lost state, seed $seed: the RPO is measured"
    n=$(json "$TMP/state$seed/summary.json" "$rpo | add // 0")
    lost=$((lost + ${n:-0}))
done
[ "$lost" -gt 0 ] || fail "losing the unmirrored state never lost an acknowledged write in asynchronous mode"

expect_exit 0 run $T tests/lua/failover_split_brain.lua -q --out "$TMP/sb"
expect_match "$TMP/sb/trace.jsonl" 'refused: east is alive .*split brain'
expect_match "$TMP/sb/trace.jsonl" '"node":"east","detail":"fenced'

# nemesis: every flow ends exactly once, no split brain, no acknowledged write lost
for seed in 1 2 3; do
    expect_exit 0 run $T tests/lua/nemesis_week.lua -q --seed $seed
done

# a failing nemesis run prints its replay command; running it gives the same failure and hash
expect_exit 1 run $T tests/lua/nemesis_fails.lua -q --seed 7 --out "$TMP/nf"
NF="$TMP/nf/summary.json"
expectation_failed "$NF" "no inquiry timed out" '^[1-9][0-9]* timed out$'
expect_trace_hash "$TMP/nf"
h1=$(trace_hash "$TMP/nf")
expect_json "$NF" .replay '. == "renkei run topologies/small.lua tests/lua/nemesis_fails.lua --seed 7"' "the replay command"
replay=$(json "$NF" .replay)
eval "set -- ${replay#renkei run }"
expect_exit 1 run "$@" -q --out "$TMP/replayed"
R="$TMP/replayed/summary.json"
expect_json "$R" .trace_hash ". == \"$h1\"" "the replay gives the same trace hash"
expectation_failed "$R" "no inquiry timed out"
expect_json "$R" .expectations ". == $(jq -c .expectations "$NF")" "the replay fails the same way"

# targets by name (issue 16): 大阪市 and a list of names are the same faults as by code
expect_exit 0 run topologies/small.lua tests/lua/fault_by_name.lua -q --set by=name --out "$TMP/by_name"
expect_exit 0 run topologies/small.lua tests/lua/fault_by_name.lua -q --set by=code --out "$TMP/by_code"
expect_json "$TMP/by_name/summary.json" '[.faults[] | .target]' '. == ["271004", "141003 +1 | east"]' "faults on 大阪市 and on 横浜市, 千代田区"
expect_same_json "$TMP/by_name/summary.json" "$TMP/by_code/summary.json" .trace_hash "named targets make the same run as codes"

# bad fault specifications: one line naming the file and line, exit 2
for bad in fault_unknown_node:"unknown node 'no-such-site'" fault_negative:"must not be negative" \
           fault_unknown_name:"unknown node '大坂市'" fault_ambiguous_name:"'府中市' names 2 local governments or agencies \\(132063, 342076\\): give the code" \
           fault_unknown_kind:"unknown fault kind 'meteor'" fault_bad_option:"unknown option 'speed'" \
           fault_no_link:"no link between" failover_old_name:"'replication' is now called 'mirroring'"; do
    file=${bad%%:*}
    msg=${bad#*:}
    expect_exit 2 run $T tests/lua/bad/$file.lua
    expect_match "$TMP/err" "tests/lua/bad/$file.lua:[0-9]+: .*$msg"
    expect_one_line "$TMP/err"
done
finish
