-- tests/lua/rollout_bulk.lua - a rollout phase of bulk initial code acquisition (issue 13) on
-- topologies/small.lua, with answers worked out by hand. Its days come from each body's
-- population and the capacity J-LIS and the NWS share (bulk_settings{}: the smaller of the two,
-- 1,000,000 persons a business day here), first come, first served (started earliest, then in
-- plan order: the waves' order, here 131016, 141003, 401307, then 271004).
--
-- Business days from Wednesday 2017-04-26 (Golden Week skipped): d0 04-26, d1 04-27, d2 04-28,
-- d3 05-01, d4 05-02, d5 05-08, d6 05-09, d7 05-10, d8 05-11, d9 05-12.
-- All four together (8,208,975 persons: ceil = 9 days):
--   d0 131016 66,680 (all) + 141003 933,320 | d1, d2 141003 | d3 141003's last 844,171 +
--   401307 155,829 | d4 401307 | d5 401307's last 456,563 + 271004 543,437 | d6, d7 271004 |
--   d8 271004's last 208,975. Finishes (the day after the last working day): 131016 d1
--   04-27, 141003 d4 05-02, 401307 d6 05-09, 271004 d9 05-12.
-- --set alone=true: only 271004 (2,752,412 persons): ceil = 3 days, finished d3 05-01.
local alone = param("alone", false)
start "2017-04-26 08:30"
finish "2017-06-30"
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m" }
bulk_settings { jlis_per_day = 1000000, nws_per_day = 2000000 }

wave { name = "first", codes = { "131016", "141003", "401307" } }
wave { name = "osaka" }
phase { name = "codes", bulk_acquisition = true, waves = alone and { "osaka" } or nil }
phase { name = "go_live", duration = 1, after = "codes" }
milestone { name = "codes acquired", target = "2017-05-12", after = "codes" }

local function eq(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 0) end
end

expect("the days of code acquisition", function(r)
  local ok, err = pcall(function()
    local f = schedule_lg("271004").phases.codes
    eq("271004 persons", f.persons, 2752412)
    eq("271004 persons left", f.persons_left, 0)
    eq("the capacity", f.persons_per_day, 1000000)
    if alone then
      eq("271004 finish, alone", f.finish, "2017-05-01")
      eq("the milestone", r.schedule.milestones["codes acquired"].date, "2017-05-01")
      return
    end
    eq("131016 finish", schedule_lg("131016").phases.codes.finish, "2017-04-27")
    eq("141003 finish", schedule_lg("141003").phases.codes.finish, "2017-05-02")
    eq("401307 finish", schedule_lg("401307").phases.codes.finish, "2017-05-09")
    eq("271004 finish, after the others", f.finish, "2017-05-12")
    eq("271004 goes live after its codes", schedule_lg("271004").phases.go_live.start, "2017-05-12")
    eq("the milestone: all four", r.schedule.milestones["codes acquired"].date, "2017-05-12")
  end)
  return ok, err
end)
