# tests/cli_flow.sh - the national flow end to end on topologies/small.lua: every flow and
# error path (tests/lua/flow_e2e.lua), what each hop sees, invariants, determinism.
set -euo pipefail
source tests/lib.sh "$@"

# flow_e2e.lua breaks one invariant on purpose (a leaked individual number): exit 1, and that
# is the only failure. Its inquiry with no staff member is refused at Osaka's own server
# (no_staff), so the staff invariant holds: nothing unchecked reached the network.
expect_exit 1 run topologies/small.lua tests/lua/flow_e2e.lua -q --out "$TMP/e2e"
S="$TMP/e2e/summary.json"
expect_json "$S" '[(.expectations[] | select(.passed != true)), (.invariants[] | select(.held != true))] | map(.name)' \
    '. == ["no individual number on the network"]' \
    "exactly the one deliberate invariant failure"
invariant_failed "$S" "no individual number on the network" '^1 message'
expect_json "$S" '[.invariants[] | select(.name == "no node but the NWS holds a resident-derived key and an agency code of one person")][0].held' \
    '. == true' "the unlinkability invariant is checked and holds"
expect_json "$S" .exit_status '. == 1' "a broken invariant: exit status 1"
expectation_held "$S" "the provision is exactly what Chiyoda registered"
for outcome in no_code duplicate not_permitted no_staff integrity not_found timeout unreachable; do
    # an expectation "<case> -> <outcome>" held, and the flows counted that outcome
    expect_json "$S" "[.expectations[] | select(.name | test(\"^[a-z_]+ -> $outcome\$\"))]" \
        'length >= 1 and all(.passed == true)' "a case ending in $outcome held"
    expect_json "$S" "[.flows[].outcomes.$outcome // 0] | add" '. >= 1' "flows ended in $outcome"
done
expect_trace_hash "$TMP/e2e"
h1=$(trace_hash "$TMP/e2e")
expect_exit 1 run topologies/small.lua tests/lua/flow_e2e.lua -q --out "$TMP/e2e2"
expect_json "$TMP/e2e2/summary.json" .trace_hash ". == \"$h1\"" "the same seed gives the same trace"
expect_json "$S" '.invariants | length' '. >= 7' "the invariants are listed"
expect_json "$S" .flows.inquiry.latency_ms.p95 '. > 0' "the inquiries' latency p95"
expect_json "$S" .flows.inquiry.outcomes.not_permitted '. == 1' "one inquiry not permitted"

# one inquiry, as a trainer shows it
expect_exit 0 run topologies/small.lua scripts/training/child_allowance.lua -q --out "$TMP/ca"
invariant_held "$TMP/ca/summary.json" "no individual number on the network"
T="$TMP/ca/trace.jsonl"
# the NWS and the interface systems' network side carry only ciphertext
grep '"kind":"send"' "$T" | grep '"type":"provision"' | grep -E '"node":"nws"|"peer":"nws"' >"$TMP/nws_hops"
[ "$(wc -l <"$TMP/nws_hops")" -eq 2 ] || fail "expected two provision hops through the NWS"
expect_match "$TMP/nws_hops" '"ciphertext":"[0-9a-f]{48}"'
expect_no_match "$TMP/nws_hops" '"payload"'
# the addressee number travels only between a body and its own intermediate server
grep '"addressee_no"' "$T" | grep '"kind":"send"' >"$TMP/addr" || true
expect_no_match "$TMP/addr" '"node":"(nws|jlis|[a-z]+\.ifs)"|"peer":"(nws|jlis|[a-z]+\.ifs)"'
# the codes differ hop by hop: Osaka's code before the NWS, Chiyoda's after it
codes=$(grep '"type":"inquiry"' "$T" | grep '"kind":"send"' | sed -n 's/.*"agency_code":"\([0-9A-Z]*\)".*/\1/p' | sort -u | wc -l)
[ "$codes" -eq 2 ] || fail "expected two distinct agency codes along the inquiry, saw $codes"

# bad input: an unknown procedure, an unknown municipality, a malformed replica
cat >"$TMP/bad_proc.lua" <<'LUA'
at("09:00", function() inquire { from = "271004", addressee = 1, procedure = "astrology", provider = "131016", staff = 1 } end)
LUA
expect_exit 2 run topologies/small.lua "$TMP/bad_proc.lua" -q
expect_match "$TMP/err" "bad_proc.lua:1: inquire: unknown procedure 'astrology'"
cat >"$TMP/bad_lg.lua" <<'LUA'
at("09:00", function() acquire_code("999999", 1) end)
LUA
expect_exit 2 run topologies/small.lua "$TMP/bad_lg.lua" -q
expect_match "$TMP/err" "bad_lg.lua:1: unknown node '999999'"
cat >"$TMP/bad_replica.lua" <<'LUA'
register_replica("131016", { addressee = 1, item = "TM00000000000002", record_id = "X", from = "2018-01-01", to = "2017-01-01", payload = "{}" })
LUA
expect_exit 2 run topologies/small.lua "$TMP/bad_replica.lua" -q
expect_match "$TMP/err" "bad_replica.lua:1: register_replica: 'to' must be after 'from'"
cat >"$TMP/bad_code.lua" <<'LUA'
lg { code = "131017", name = "typo", home = "east" }
LUA
expect_exit 2 run topologies/small.lua "$TMP/bad_code.lua" -q
expect_match "$TMP/err" "bad_code.lua:1: lg 131017: wrong check digit \(expected 6\)"

# two days of workload: inquiries on business days only, new residents, the nightly batch
expect_exit 0 run topologies/small.lua tests/lua/workload_days.lua -q --set key_rotation=1h --out "$TMP/days"
# 400 a day over two business days, at the share of the permission table's weight whose inquirer
# and provider small.lua has (municipalities and the pension service; no prefecture, no other agency)
expect_json "$TMP/days/summary.json" .flows.inquiry.started '. >= 550 and . <= 680' "about 615 inquiries started"
expect_json "$TMP/days/summary.json" .flows.code_request '.started >= 1 and .outcomes.ok >= 1' \
    "new residents' codes requested and obtained"

# the national topology: 47 prefectures + 1,741 municipalities (check digits are checked by lg{})
cat >"$TMP/count.lua" <<'LUA'
local lgs, sites = 0, 0
for _, n in ipairs(nodes()) do
  if n.name:match("^%d%d%d%d%d%d$") then lgs = lgs + 1 end
end
log("local governments", lgs)
assert(lgs == 1788, "expected 1788 local governments, found " .. lgs)
assert(find("131016") and find("472077") and find("011002") and not find("016969"))
LUA
expect_exit 0 check topologies/japan.lua "$TMP/count.lua" --set resident_scale=0.00001
finish
