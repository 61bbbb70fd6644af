# tests/cli_seed.sh - seed_replica: a replica of the state of the day before, in place at the
# first event at both sites of the body (asserted on summary.json's expectations), and
# refused with a file:line error and exit 2 during the run or for a record id that exists.
set -euo pipefail
source tests/lib.sh "$@"

expect_exit 0 run topologies/small.lua tests/lua/seed_replica.lua -q --out "$TMP/seed"
expectation_held "$TMP/seed/summary.json" "the first inquiry gets the seeded replica"
expectation_held "$TMP/seed/summary.json" "the backup site holds it too"

cat >"$TMP/late.lua" <<'LUA'
at("09:00", function() seed_replica("131016", { addressee = 1, item = "TM00000000000002", record_id = "LATE", payload = "{}" }) end)
LUA
expect_exit 2 run topologies/small.lua "$TMP/late.lua" -q
expect_match "$TMP/err" "late.lua:1: seed_replica: the state of the day before is set before the run starts"
expect_one_line "$TMP/err"

cat >"$TMP/twice.lua" <<'LUA'
seed_replica("131016", { addressee = 1, item = "TM00000000000002", record_id = "TWICE", payload = "{}" })
seed_replica("131016", { addressee = 2, item = "TM00000000000002", record_id = "TWICE", payload = "{}" })
LUA
expect_exit 2 run topologies/small.lua "$TMP/twice.lua" -q
expect_match "$TMP/err" "twice.lua:2: seed_replica: 131016 already holds a record 'TWICE'"

cat >"$TMP/bad.lua" <<'LUA'
seed_replica("131016", { addressee = 1, item = "TM00000000000002", record_id = "X", payload = "{}", to = "2000-01-01" })
LUA
expect_exit 2 run topologies/small.lua "$TMP/bad.lua" -q
expect_match "$TMP/err" "bad.lua:1: seed_replica: 'to' must be after 'from'"
finish
