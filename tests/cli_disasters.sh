# tests/cli_disasters.sh - the shipped disaster scenarios (scripts/disasters/) run green on the
# national topology, at a reduced scale (fewer residents, a tenth of the daily volume) so the
# suite stays quick; same seed, same trace.
set -euo pipefail
source tests/lib.sh "$@"
small=(--set resident_scale=0.0002 --set day_scale=0.1)
for s in east_site_loss nws_outage prefecture_cut_off ifs_key_expiry replica_corruption nemesis_week; do
    expect_exit 0 run topologies/japan.lua scripts/disasters/$s.lua -q "${small[@]}" --out "$TMP/$s"
    expect_no_match "$TMP/out" 'FAIL'
    expect_match "$TMP/$s/summary.json" '"faults":'
done
expect_exit 0 run topologies/japan.lua scripts/disasters/east_site_loss.lua -q "${small[@]}" --set replication=async
expect_match "$TMP/out" 'ok +the writes lost are exactly the unshipped tail'
h1=$(hash_of)
expect_exit 0 run topologies/japan.lua scripts/disasters/east_site_loss.lua -q "${small[@]}" --set replication=async
[ "$(hash_of)" = "$h1" ] || fail "the same disaster gave another trace hash"
finish
