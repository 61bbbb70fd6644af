# tests/cli_snapshot.sh - the day before from a snapshot (issue 18): the same trace hash with
# and without it, a new key (never a stale snapshot) when a script, a parameter or the seed
# changes, --no-snapshot bypasses it, and a truncated or corrupted snapshot is detected,
# reported and built again.
set -euo pipefail
source tests/lib.sh "$@"
# Japan at 1/10,000 (12,600 residents: above the size under which none is kept), its first
# quarter of an hour: exit 1, as the day's volume is not reached (the same with or without)
T="topologies/japan.lua scripts/bench/national_day.lua --set resident_scale=0.0001"
SN="$TMP/snapshots"
snap() { json "$1/summary.json" "$2"; }

expect_exit 1 run $T -q --no-snapshot --out "$TMP/none" --until '2017-11-13 08:45'
[ -d "$SN" ] && [ -n "$(ls "$SN")" ] && fail "--no-snapshot kept a snapshot: $(ls "$SN")"
expect_json "$TMP/none/summary.json" .snapshot '. == null' "--no-snapshot: no snapshot in the summary"
expect_trace_hash "$TMP/none"

# ---- built and kept, then read: the same hash -----------------------------------------------
expect_exit 1 run $T -q --out "$TMP/first" --until '2017-11-13 08:45'
expect_json "$TMP/first/summary.json" .snapshot.status '. == "written"' "the first run keeps the day before"
KEY=$(snap "$TMP/first" .snapshot.key)
[ -f "$SN/$KEY/MANIFEST" ] || fail "no $SN/$KEY/MANIFEST"
(cd "$SN/$KEY" && sha256sum -c --quiet MANIFEST) || fail "the snapshot's files do not match its MANIFEST"
expect_exit 1 run $T -q --out "$TMP/second" --until '2017-11-13 08:45'
expect_json "$TMP/second/summary.json" .snapshot "(.status == \"read\" and .key == \"$KEY\")" "the second run reads it"
expect_same_json "$TMP/none/summary.json" "$TMP/first/summary.json" .trace_hash "building and keeping the snapshot"
expect_same_json "$TMP/none/summary.json" "$TMP/second/summary.json" .trace_hash "reading the snapshot"
expect_same_json "$TMP/none/summary.json" "$TMP/second/summary.json" .flows "the flows"

# ---- any input changed: another key, never the stale snapshot -------------------------------
expect_exit 1 run $T -q --out "$TMP/seed2" --seed 2 --until '2017-11-13 08:45'
expect_json "$TMP/seed2/summary.json" .snapshot "(.status == \"written\" and .key != \"$KEY\")" "another seed builds its own"
cp scripts/bench/national_day.lua "$TMP/nd.lua"
echo "-- a changed scenario" >>"$TMP/nd.lua"
expect_exit 1 run topologies/japan.lua "$TMP/nd.lua" --set resident_scale=0.0001 -q --out "$TMP/edited" --until '2017-11-13 08:45'
expect_json "$TMP/edited/summary.json" .snapshot "(.status == \"written\" and .key != \"$KEY\")" "a changed script builds its own"
expect_same_json "$TMP/none/summary.json" "$TMP/edited/summary.json" .trace_hash "a comment changes no event"
expect_exit 1 run topologies/japan.lua scripts/bench/national_day.lua --set resident_scale=0.00011 -q --out "$TMP/scale" --until '2017-11-13 08:45'
expect_json "$TMP/scale/summary.json" .snapshot "(.status == \"written\" and .key != \"$KEY\")" "another scale builds its own"

# ---- a truncated, then a corrupted snapshot: reported, built again, the same hash ------------
F="$SN/$KEY/east.sqlite"
[ -f "$F" ] || fail "no east.sqlite in the snapshot: $(ls "$SN/$KEY")"
truncate -s $(( $(stat -c %s "$F") / 2 )) "$F"
expect_exit 1 run $T -q --out "$TMP/trunc" --until '2017-11-13 08:45'
expect_match "$TMP/err" "^renkei: the snapshot of the day before is damaged \(.*east\.sqlite: its SHA-256 is not the one in MANIFEST.*\): building it again$"
expect_json "$TMP/trunc/summary.json" .snapshot "(.status == \"rebuilt\" and .key == \"$KEY\")" "a truncated snapshot is built again"
expect_same_json "$TMP/none/summary.json" "$TMP/trunc/summary.json" .trace_hash "after a truncated snapshot"
(cd "$SN/$KEY" && sha256sum -c --quiet MANIFEST) || fail "the rebuilt snapshot's files do not match its MANIFEST"
F="$SN/$KEY/nws.sqlite"
printf 'corrupted' | dd of="$F" bs=1 seek=$(( $(stat -c %s "$F") / 2 )) conv=notrunc status=none
expect_exit 1 run $T -q --out "$TMP/corrupt" --until '2017-11-13 08:45'
expect_match "$TMP/err" "^renkei: the snapshot of the day before is damaged \(.*nws\.sqlite: its SHA-256"
expect_json "$TMP/corrupt/summary.json" .snapshot.status '. == "rebuilt"' "a corrupted snapshot is built again"
expect_same_json "$TMP/none/summary.json" "$TMP/corrupt/summary.json" .trace_hash "after a corrupted snapshot"
rm "$SN/$KEY/MANIFEST"
expect_exit 1 run $T -q --out "$TMP/nomanifest" --until '2017-11-13 08:45'
expect_json "$TMP/nomanifest/summary.json" .snapshot.status '. == "rebuilt"' "a snapshot without its MANIFEST is built again"
expect_exit 1 run $T -q --out "$TMP/again" --until '2017-11-13 08:45'
expect_json "$TMP/again/summary.json" .snapshot.status '. == "read"' "the rebuilt snapshot is read"
expect_same_json "$TMP/none/summary.json" "$TMP/again/summary.json" .trace_hash "the rebuilt snapshot"

# ---- usage ---------------------------------------------------------------------------------
expect_exit 2 run $T -q --snapshots "$TMP/x" --no-snapshot
finish
