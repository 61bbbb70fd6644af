-- tests/lua/rollout_releases.lua - releases, rework and uptake on known answers, worked out by
-- hand, on topologies/small.lua (four municipalities: 131016, 141003, 271004, 401307).
--
-- Business days from Thursday 2017-06-01 (no holiday in June): d0 06-01, d1 06-02, d2 06-05,
-- d3 06-06, d4 06-07, d5 06-08, d6 06-09, d7 06-12, d8 06-13, d9 06-14, d10 06-15, d11 06-16,
-- d12 06-19, d13 06-20, d14 06-21, d15 06-22, d16 06-23.
--
-- Release "spec": 1.0 on d0, 1.1 on d4 (changed 0.5), 1.2 on d13 (changed 0.25).
-- Rework = rework x changed x the days worked when the version lands.
-- "vendor" builds on spec 1.0, 10 days, rework 1: starts d0; 1.1 lands on d4 after 4 days of
-- work (d0-d3): 1 x 0.5 x 4 = 2 days more, 12 in all: finishes d12 (06-19). 1.2 lands after.
-- That is the plan too: no rework slip.
-- "late_vendor" builds on spec 1.0 but may not start before d5 (06-08): 1.1 landed before it
-- started, so no rework; 5 days, finishes d10 (06-15). 1.2 lands after.
-- "design" has uptake 3 business days: "reader" (1 day, builds on design 1.0 of d0) starts
-- when its body took 1.0 up, d3 (06-06), finishes d4 (06-07).
--
-- --set whatif=true: spec 1.2 comes on 06-16 (d11) instead: "vendor" is still at work after
-- 11 days (d0-d10), 1 x 0.25 x 11 = 2.75 -> 3 days more: finishes d15 (06-22), a rework slip
-- of 3 days for each of the four bodies; "late_vendor" is done (d10) before it lands.
-- --set chain=true: spec 1.1 comes on 06-21 (d14), so 1.2 (planned d13) cannot land before
-- it: both on d14, after "vendor" finished (d10, without 1.1's rework): the milestone comes
-- earlier than the plan, 06-15 (d10).
-- Sensitivity (5 days): spec 1.0 on d5 pushes 1.1 to d5 too, the day "vendor" starts (no
-- rework); 1.2 (d13) lands after 8 days of work: 0.25 x 8 = 2; 12 days from d5: d17, +5.
-- Spec 1.1 on d9 instead of d4 lands after 9 days: 0.5 x 9 -> 5 days; then 1.2 (d13) after
-- 13: 0.25 x 13 -> 4; 10 + 5 + 4 = 19 days: d19, +7, the most (a later revision costs more).
local whatif = param("whatif", false)
local chain = param("chain", false)
start "2017-06-01 08:30"
finish "2017-07-31"
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m" }
schedule { sensitivity = 5, as_of = { "2017-06-05", "2017-06-06" }, operator = "J-LIS" }

release { name = "spec", title = "external interface spec", versions = {
  { "1.0", "2017-06-01" },
  { "1.1", "2017-06-07", changed = 0.5 },
  { "1.2", "2017-06-20", changed = 0.25 },
} }
release { name = "design", uptake = 3, versions = { { "1.0", "2017-06-01" } } }

phase { name = "vendor", duration = 10, builds_on = "spec 1.0", rework = 1 }
phase { name = "late_vendor", duration = 5, builds_on = "spec 1.0", not_before = "2017-06-08" }
phase { name = "reader", duration = 1, builds_on = "design 1.0" }
milestone { name = "vendors done", target = "2017-06-19", after = "vendor" }
milestone { name = "spec final", target = "2017-06-20", after = "spec 1.2" }

if whatif then revise("spec 1.2", { actual = "2017-06-16" }) end
if chain then revise("spec 1.1", { actual = "2017-06-21" }) end

local function eq(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 0) end
end

expect("known answers", function(r)
  local ok, err = pcall(function()
    for _, code in ipairs { "131016", "141003", "271004", "401307" } do
      local p = schedule_lg(code).phases
      eq(code .. " vendor start", p.vendor.start, "2017-06-01")
      eq(code .. " late_vendor finish", p.late_vendor.finish, "2017-06-15")
      eq(code .. " late_vendor rework", p.late_vendor.slips.rework, 0)
      eq(code .. " reader start (uptake 3 days)", p.reader.start, "2017-06-06")
      eq(code .. " reader finish", p.reader.finish, "2017-06-07")
      if chain then
        eq(code .. " vendor finish", p.vendor.finish, "2017-06-15")
        eq(code .. " vendor rework slip", p.vendor.slips.rework, 0)
      elseif whatif then
        eq(code .. " vendor finish", p.vendor.finish, "2017-06-22")
        eq(code .. " vendor rework slip", p.vendor.slips.rework, 3)
      else
        eq(code .. " vendor finish", p.vendor.finish, "2017-06-19")
        eq(code .. " vendor rework slip", p.vendor.slips.rework, 0)
      end
      eq(code .. " vendor planned finish", p.vendor.planned_finish, "2017-06-19")
    end
    local want_rework = whatif and 12 or 0
    eq("rework days", r.schedule.slip_days.rework, want_rework)
    local m = r.schedule.milestones["vendors done"]
    eq("milestone planned", m.planned, "2017-06-19")
    eq("milestone date", m.date, chain and "2017-06-15" or whatif and "2017-06-22" or "2017-06-19")
  end)
  return ok, err
end)
