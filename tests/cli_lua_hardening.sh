# tests/cli_lua_hardening.sh - what a script (or the dashboard) can make the engine do: times
# and durations outside the supported range are refused, not wrapped; counts are checked before
# they are narrowed; the budgets cover finalizers, C-side loops, message bodies and faults;
# every script error names the script's file:line; calls the documentation refuses are refused.
set -euo pipefail
source tests/lib.sh "$@"
PID=""
trap 'if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT
T=topologies/small.lua

# refused FILE LINE REGEX [RUN ARGS...]: the script stops with exit 2 and one line on stderr
# naming FILE:LINE and matching REGEX
refused() {
    local file=$1 line=$2 re=$3; shift 3
    expect_exit 2 run "$@" "$file" -q
    expect_match "$TMP/err" "^renkei: $file:$line: $re"
    expect_one_line "$TMP/err"
}
# script NAME: the Lua text on stdin, in $TMP/NAME.lua; prints the path
script() { cat >"$TMP/$1.lua"; echo "$TMP/$1.lua"; }

# --- 1. times and durations from outside are checked, never wrapped -------------------------
range='out of range \(supported: times 1970-01-01 00:00 to 9999-12-31'
drange='out of range \(supported: durations 0 to 2922000d'
f=$(script start_min <<<'start(math.mininteger)')
refused "$f" 1 "time -9223372036854775808 $range"
# a start in the supported range but before the engine's time 0 tripped the queue's assert
# when the nodes started (found by fuzz_lua)
f=$(script start_negative <<<'start(-175)')
refused "$f" 1 "start\\(\\) must be 1970-01-01 09:00 JST or later"
f=$(script start_1970 <<<'start "1970-01-01 00:00"')
refused "$f" 1 "start\\(\\) must be 1970-01-01 09:00 JST or later"
f=$(script at_max <<<'start "2017-11-13 08:30"
at(math.maxinteger, function() end)')
refused "$f" 2 "time 9223372036854775807 $range"
f=$(script after_max <<<'start "2017-11-13 08:30"
after(math.maxinteger, function() end)')
refused "$f" 2 "duration 9223372036854775807 $drange"
f=$(script after_far <<<'start "2017-11-13 08:30"
after("2922000d", function() end)')
refused "$f" 2 "after: 2922000d after 2017-11-13 08:30:00 is $range"
f=$(script every_max <<<'start "2017-11-13 08:30"
every(math.maxinteger, function() end)')
refused "$f" 2 "duration 9223372036854775807 $drange"
f=$(script every_first <<<'start "2017-11-13 08:30"
every("1h", function() end, { first = "106751991d" })')
refused "$f" 2 "duration '106751991d' $drange"
f=$(script node_after <<<'start "2017-11-13 08:30"
node { name = "a", on_start = function(self) self:after(math.maxinteger, function() end) end }')
refused "$f" 2 "duration 9223372036854775807 $drange"
f=$(script always_every <<<'always("x", function() return true end, { every = math.maxinteger })')
refused "$f" 1 "duration 9223372036854775807 $drange"
f=$(script duration_huge <<<'local d = duration("106751991d4h54s775ms807us")')
refused "$f" 1 "duration '106751991d4h54s775ms807us' $drange"
f=$(script finish_far <<<'start "2017-11-13 08:30"
finish(math.maxinteger)')
refused "$f" 2 "time 9223372036854775807 $range"
f=$(script finish_dur <<<'start "2017-11-13 08:30"
finish "106751991d"')
refused "$f" 2 "duration '106751991d' $drange"
# the supported edge itself is fine
f=$(script edge <<<'start "9999-12-31 23:00"
finish "9999-12-31 23:59:59"
after("59m59s", function() log("at the edge", clock()) end)')
expect_exit 0 run "$f" -q --out "$TMP/edge"
expect_json "$TMP/edge/summary.json" .until '. == "9999-12-31T23:59:59.000000+09:00"' "a run at the end of the supported range"

# a link so slow that a message would take longer than any int64: it is in flight past the run
f=$(script slow_link <<<'start "2017-11-13 08:30"
node { name = "b" }
node { name = "a", on_start = function(self) for i = 1, 100 do self:send("b", "x") end end }
link("a", "b", { bandwidth = 1e-300, latency = "2922000d" })
expect("in flight, none dropped", function(r) return r.pending == 100 and r.dropped == 0, r.pending .. " " .. r.dropped end)')
expect_exit 0 run "$f" -q --out "$TMP/slow_link"
expectation_held "$TMP/slow_link/summary.json" "in flight, none dropped"

# faults: a duration past the supported times, from Lua and from the dashboard
f=$(script fault_max <<<'start "2017-11-13 08:30"
fault.crash("east", { duration = math.maxinteger })')
refused "$f" 2 "duration 9223372036854775807 $drange" $T
f=$(script fault_far <<<'start "2017-11-13 08:30"
fault.crash("east", { duration = "2922000d" })')
refused "$f" 2 "crash: its end is $range" $T
f=$(script nemesis_far <<<'start "2017-11-13 08:30"
fault.nemesis { every = "1h", duration = "2922000d", faults = { { kind = "crash", target = "east", duration = "1m" } } }')
refused "$f" 2 "fault.nemesis: 2922000d after 2017-11-13 08:30:00 is $range" $T

# call METHOD PATH [BODY]: with the token; the status in $code, the body in $TMP/body
call() {
    local args=(-s -o "$TMP/body" -w '%{http_code}' -X "$1" "$BASE${2#/}" -H "Authorization: Bearer $TOKEN")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    code=$(curl "${args[@]}")
}
# out_of_range METHOD PATH BODY: refused with 400 and a JSON error saying so
out_of_range() {
    call "$@"
    [ "$code" = 400 ] || fail "$1 $2 $3: status $code, expected 400: $(cat "$TMP/body")"
    expect_json "$TMP/body" .error 'test("out of range \\(supported: ")' "$1 $2 $3: refused as out of range"
}
serve $T scripts/training/child_allowance.lua -q --serve 127.0.0.1:0
out_of_range POST /api/until '{"time":"+106751991d"}'
out_of_range POST /api/until '{"time":"2922000d"}'
out_of_range POST /api/faults '{"kind":"crash","target":"east","duration":1e300}'
out_of_range POST /api/faults '{"kind":"crash","target":"east","duration":9.3e12}'
out_of_range POST /api/faults '{"kind":"crash","target":"east","duration":"106751991d"}'
out_of_range POST /api/faults '{"kind":"crash","target":"east","duration":"2922000d"}'
out_of_range POST /api/faults '{"kind":"nws_slow","delay":"2922001d","duration":"1h"}'
for count in 1e10 2.5 -1 '"all"'; do
    call POST /api/faults "{\"kind\":\"corrupt_replica\",\"target\":\"east\",\"count\":$count}"
    [ "$code" = 400 ] || fail "corrupt_replica count $count: status $code, expected 400: $(cat "$TMP/body")"
    expect_json "$TMP/body" .error 'test("count. must be an integer from 0 to 2147483647")' "count $count refused"
done
call GET /api/faults
expect_json "$TMP/body" . '. == []' "no refused fault was recorded"
kill -INT "$PID"
wait "$PID" || true
PID=""

# --- 2. counts from outside are checked before they are narrowed -----------------------------
# fault 1 exists; 2^32 + 1 is not fault 1
f=$(script clear_wide <<<'start "2017-11-13 08:30"
local h = fault.crash("east", { duration = "1h" })
fault.clear((1 << 32) + 1)')
refused "$f" 3 "fault.clear: no fault 4294967297" $T
f=$(script active_wide <<<'start "2017-11-13 08:30"
fault.crash("east", { duration = "1h" })
local h = fault.crash("west", { duration = "1h" })
h.id = (1 << 32) + 1
local wide, one
at("09:00", function() wide, one = h:active(), fault.list()[1].active end)
expect("a wide id is no fault", function() return wide == false and one == true end)')
expect_exit 0 run $T "$f" -q --out "$TMP/active_wide"
expectation_held "$TMP/active_wide/summary.json" "a wide id is no fault"
for count in '2^31' '2^32 + 5' '-1' '1.5' '"many"'; do
    f=$(script count <<<"fault.corrupt_replica(\"east\", { count = $count })")
    refused "$f" 1 "fault.corrupt_replica: 'count' must be an integer from 0 to 2147483647" $T
done
# the largest count damages every row there is, without reserving room for 2^31 rows first
f=$(script count_max <<<'start "2017-11-13 08:30"
finish "2017-11-13 11:00"
workload { inquiries_per_day = 20000, business_hours = { "08:30", "17:15" } }
at("09:00", function() fault.corrupt_replica("east", { count = 2^31 - 1 }) end)
expect("the damaged rows were found", function(r)
  return r.failover.repairs_detected > 0, r.failover.repairs_detected .. " detected"
end)')
expect_exit 0 run $T "$f" -q --out "$TMP/count_max"
expectation_held "$TMP/count_max/summary.json" "the damaged rows were found"
f=$(script weight <<<'fault.nemesis { every = "1h", faults = { { kind = "crash", target = "east", duration = "1m", weight = math.huge } } }')
refused "$f" 1 "fault.nemesis: faults\[1\] \(crash\): 'weight' must be a positive number" $T

# --- 3. the budgets cover what a script makes the engine do -----------------------------------
# limited SECONDS ARGS...: run_renkei, but a run still going after SECONDS is killed (status 124):
# what these scripts did before their limits existed was hang
limited() {
    local secs=$1; shift
    set +e
    timeout -s KILL "$secs" "$RENKEI" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
    set -e
    [ "$status" -ne 137 ] || status=124
}
# refused_within SECONDS FILE LINE REGEX [RUN ARGS...]
refused_within() {
    local secs=$1 file=$2 line=$3 re=$4; shift 4
    limited "$secs" run "$@" "$file" -q
    [ "$status" -eq 2 ] || fail "renkei run $* $file exited $status, expected 2 within ${secs}s: $(head -c 300 "$TMP/err")"
    expect_match "$TMP/err" "^renkei: $file:$line: $re"
    expect_one_line "$TMP/err"
}
# a finalizer runs outside the instruction budget (Lua turns hooks off in __gc): refused
f=$(script gc <<<'setmetatable({}, { __gc = function() while true do end end })
collectgarbage()')
refused_within 30 "$f" 1 "setmetatable: __gc finalizers are not available in scripts"
# ... also through a metatable made in C, which scripts cannot reach
f=$(script gc_c <<<'local t = after("1h", function() end)
getmetatable(t).__gc = function() while true do end end')
refused_within 30 "$f" 2 "attempt to index a boolean value"
# a next() loop is quadratic work in C: the budget counts it
f=$(script next_loop <<<'local t = {}
for i = 1, 60000 do t[i] = i end
local k
repeat k = next(t, k) until k == nil')
refused_within 30 "$f" 4 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script pairs_loop <<<'local t = {}
for i = 1, 60000 do t[i] = i end
for i = 1, 100000 do for k in pairs(t) do break end end')
refused_within 30 "$f" 3 "instruction budget exceeded" --lua-budget 10000000
# pcall does not catch what stops the run: the budget, the memory cap
f=$(script pcall_budget <<<'while true do pcall(function() for i = 1, 1e6 do end end) end')
refused_within 60 "$f" 1 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script pcall_memory <<<'local keep = {}
while true do pcall(function() keep[#keep + 1] = string.rep("x", 1 << 20) end) end')
refused_within 60 "$f" 2 "memory cap exceeded \(64 MiB\)" --lua-mem 64
f=$(script xpcall_memory <<<'local keep = {}
while true do xpcall(function() keep[#keep + 1] = string.rep("x", 1 << 20) end, function(e) return e end) end')
refused_within 60 "$f" 2 "memory cap exceeded \(64 MiB\)" --lua-mem 64
# a memory error names its line even before the count hook has ever run
f=$(script big_string <<<'local s = string.rep("x", 1 << 30)')
refused "$f" 1 "memory cap exceeded \(16 MiB\)" --lua-mem 16
# C library work per instruction: sorting, and making big strings to throw away
f=$(script sort_loop <<<'local t = {}
for i = 1, 200000 do t[i] = i end
for i = 1, 2000 do table.sort(t) end')
refused_within 30 "$f" 3 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script rep_loop <<<'for i = 1, 2000 do local s = string.rep("x", 64 << 20) end')
refused_within 30 "$f" 1 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
# string patterns backtrack in C: each step is counted (issue 15; they ran for hours in one
# instruction), in find, match, gmatch and gsub alike, and pcall does not catch it
f=$(script pattern_find <<<'local s = string.rep("a", 100000)
local ok = pcall(string.find, s, "a*a*a*b")')
refused_within 60 "$f" 2 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script pattern_match <<<'local s = string.rep("a", 20000)
local x = s:match("(a-)(a-)(a-)b")')
refused_within 60 "$f" 2 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script pattern_gmatch <<<'local s = string.rep("a", 20000)
for x in s:gmatch("a*a*b") do end')
refused_within 60 "$f" 2 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
f=$(script pattern_gsub <<<'local s = string.rep("a", 20000)
local t = s:gsub("a*a*b", "x")')
refused_within 60 "$f" 2 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
# ... a plain search is quadratic too
f=$(script pattern_plain <<<'local s = string.rep("a", 1000000)
for i = 1, 100 do s:find(string.rep("a", 50000) .. "b", 1, true) end')
refused_within 60 "$f" 2 "instruction budget exceeded \(10000000 instructions in one call\)" --lua-budget 10000000
# the issue's pattern: too complex for the matcher's recursion (as in Lua), an error at its line
f=$(script pattern_issue <<<'local s = string.rep("a", 100000)
s:find(string.rep("a?", 100000) .. string.rep("a", 100000))')
refused_within 60 "$f" 2 "pattern too complex" --lua-budget 10000000
# ordinary patterns behave as Lua's
f=$(script pattern_ok <<<'local k, v = ("  key = value  "):match("^%s*(%w+)%s*=%s*(.-)%s*$")
assert(k == "key" and v == "value")
assert(select(2, ("x=1, y=22"):gsub("%d+", "<%0>")) == 2)
assert(("f(a(b)c)d"):match("%b()") == "(a(b)c)")
assert(("THE (quick) fox"):find("%f[%a]%a+", 5) == 6)
local n = 0 for a, b in ("a=1,b=2"):gmatch("(%w)=(%w)") do n = n + 1 end
assert(n == 2)
assert(("hello"):gsub("l", { l = "L" }) == "heLLo")
log("patterns ok")')
expect_exit 0 run "$f" -q
# pairs keeps its order whatever a script does to table.sort
f=$(script pairs_order <<<'table.sort = function() end
local t, seen = {}, {}
for i = 40, 1, -1 do t[string.format("k%02d", i)] = i end
for k, v in pairs(t) do seen[#seen + 1] = v end
expect("pairs still sorts", function()
  for i = 1, 40 do if seen[i] ~= i then return false, table.concat(seen, " ") end end
  return true
end)')
expect_exit 0 run "$f" -q --out "$TMP/pairs_order"
expectation_held "$TMP/pairs_order/summary.json" "pairs still sorts"
# a handler run from C inside a call (on_crash from n:crash()) shares the call's budget
f=$(script nested_budget <<<'start "2017-11-13 08:30"
node { name = "b", on_crash = function(self) end, on_recover = function(self) end }
node { name = "a", on_start = function(self)
  local b = find("b")
  while true do b:crash(); b:recover() end
end }')
refused_within 60 "$f" '[0-9]+' "instruction budget exceeded \(1000000 instructions" --lua-budget 1000000
# message types: at most 1024 names in a run (each new name was a scan of every type)
f=$(script types <<<'start "2017-11-13 08:30"
node { name = "b" }
node { name = "a", on_start = function(self)
  for i = 1, 65535 do self:send("b", "t" .. i) end
end }')
refused_within 30 "$f" 4 "send: more than 1024 message types in one run"
f=$(script types_ok <<<'start "2017-11-13 08:30"
node { name = "b", got = 0, on_message = function(self, m) self.got = self.got + 1 end }
node { name = "a", on_start = function(self)
  for i = 1, 1024 do self:send("b", "t" .. i) end
  for i = 1, 1024 do self:send("b", "t" .. i) end
end }
link("a", "b")
expect("every message arrived", function() return find("b").got == 2048, find("b").got end)')
expect_exit 0 run "$f" -q --out "$TMP/types_ok"
expectation_held "$TMP/types_ok/summary.json" "every message arrived"
# a cyclic table is refused by name; a small table standing for a huge tree, at the memory cap
f=$(script cycle <<<'local t = { s = string.rep("x", 1 << 20) }
t.t = t
for i = 1, 100 do assert(not pcall(json_encode, t)) end
local j = json_encode(t)')
refused_within 30 "$f" 4 "json_encode: a table contains itself \(a cycle\)" --lua-mem 16
f=$(script dag <<<'local t = { "x" }
for i = 1, 30 do t = { t, t } end
start "2017-11-13 08:30"
node { name = "b" }
node { name = "a", on_start = function(self) self:send("b", "tree", t) end }')
refused_within 30 "$f" 5 "message body: bigger than the memory cap leaves room for" --lua-mem 16
# faults: a run keeps at most 10000; a nemesis stops there with a note, the figures intact
f=$(script nemesis_cap <<<'start "2017-11-13 08:30"
finish "2017-11-13 09:00"
fault.nemesis { every = "1ms", duration = "30s", faults = { { kind = "crash", target = "131016", duration = "1s" } } }')
limited 120 run $T "$f" -q --out "$TMP/nemesis_cap"
[ "$status" -eq 0 ] || fail "the capped nemesis exited $status: $(head -c 300 "$TMP/err")"
expect_json "$TMP/nemesis_cap/summary.json" .faults 'length == 10000 and all(.end != null)' "10000 faults kept, every one ended"
stopped='[.[] | select(.kind == "fault" and (.detail | startswith("nemesis stopped: ")))]'
expect_json "$TMP/nemesis_cap/trace.jsonl" "$stopped" 'length == 1 and (.[0].detail | test("at most 10000 faults"))' "the nemesis stopped once, saying why"
f=$(script fault_cap <<<'start "2017-11-13 08:30"
for i = 1, 10000 do fault.key_rotation("east") end
fault.key_rotation("east")')
refused_within 60 "$f" 3 "key_rotation: refused: a run keeps at most 10000 faults" $T

# --- 4. every script error names the script's file:line ------------------------------------
f=$(script error_nil <<<'start "2017-11-13 08:30"
after("1s", function()
  error(nil)
end)')
refused "$f" 3 "\(error object is a nil value\)"
f=$(script error_table <<<'start "2017-11-13 08:30"
after("1s", function() error({ code = 7 }) end)')
refused "$f" 2 "\(error object is a table value\)"
f=$(script crash_loop <<<'start "2017-11-13 08:30"
node { name = "a",
  on_start = function(self) self:crash() end,
  on_crash = function(self) self:recover() end,
  on_recover = function(self) self:crash() end }')
refused "$f" '[45]' "C stack overflow"
f=$(script tostring_loop <<<'start "2017-11-13 08:30"
local t = setmetatable({}, { __tostring = function(x) return tostring(x) end })
after("1s", function() error(t) end)')
refused "$f" 3 "\(error object is a table value\)"
f=$(script tostring_log <<<'local t = setmetatable({}, { __tostring = function(x) return tostring(x) end })
log(t)')
refused "$f" 1 "C stack overflow"
f=$(script data_missing <<<'local x = data("missing.lua")')
refused "$f" 1 "data\('missing.lua'\): cannot open"

# --- 5. what the documentation refuses is refused ----------------------------------------------
# promoting the backup of a live site at load time: refused with the reason, as during the run
f=$(script promote_live <<<'local ok, why = operator.promote("east")
expect("refused: east is alive", function() return ok == false and why:find("east is alive") ~= nil, tostring(why) end)
expect("never two sites serving", function(r) return r.invariants["no tenant served by two sites at once"] end)')
expect_exit 0 run $T "$f" -q --out "$TMP/promote_live"
expectation_held "$TMP/promote_live/summary.json" "refused: east is alive"
expectation_held "$TMP/promote_live/summary.json" "never two sites serving"
# a permission table naming more agencies than the domain holds (16)
f=$(script agencies <<<'local items = {}
for i = 1, 17 do items[i] = { code = "TM" .. i, holder = "agency" .. i } end
permissions { items = items, procedures = {} }')
refused "$f" 3 "permissions: more than 16 agencies \(the 17th would be 'agency17'\)"
f=$(script agency_name <<<'permissions { items = { { code = "TM1", holder = "an_agency_with_a_long_name" } }, procedures = {} }')
refused "$f" 1 "permissions: agency 'an_agency_with_a_long_name': the name is too long"
# agencies' codes are set up, they do not acquire them through J-LIS
f=$(script acquire_agency <<<'start "2017-11-13 08:30"
at("09:00", function() acquire_code("pension", 1) end)')
refused "$f" 2 "acquire_code: 'pension' is an agency" $T
# a staff id that is not a number names 'staff'
f=$(script staff <<<'start "2017-11-13 08:30"
at("09:00", function() inquire { from = "271004", addressee = 1, procedure = "child_allowance", provider = "131016", staff = "S-0001" } end)')
refused "$f" 2 "inquire: 'staff' must be a staff number \(an integer from 0 to 4294967295\), not S-0001" $T

finish
