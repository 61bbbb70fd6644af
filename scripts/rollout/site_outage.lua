-- scripts/rollout/site_outage.lua - what-if: the west platform site is down for a week in the
-- middle of the inter-agency test window (ASSUMED: Monday 2017-01-16 08:00 to Monday
-- 2017-01-23 08:00). A delta on the national plan: load it after
-- scripts/rollout/national_2017.lua.
--
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua scripts/rollout/site_outage.lua \
--       --set resident_scale=0.00001 [--set promote=manual] [--runs 200]
--
-- The connection tests are real inquiries: while the bodies hosted at the site cannot be
-- served, their tests time out, each failed test day is taken again on the next business day
-- (slip cause "outage"), and the queue for test slots grows. With the platform's automatic
-- failover (the default; the plan detects a lost site after 4 h) their tenants move to the
-- east site and only the first day's tests are lost; with --set promote=manual nobody
-- promotes them and the whole week is lost. The east site's own bodies are untouched.
-- The outage is the fault catalogue's whole-site loss (the site and its interface system).

local from, to = param("outage_from", "2017-01-16 08:00"), param("outage_until", "2017-01-23 08:00")
local site = param("outage_site", "west")
local promote = param("promote", "auto")
failover_settings { promote = promote }
at(from, function() fault.site_down(site, { duration = time(to) - time(from) }) end)

expect("test days were lost to the outage and taken again", function(r)
  return r.schedule.slip_days.outage > 0 and r.schedule.test_inquiries.failed > 0,
         r.schedule.slip_days.outage .. " outage days"
end)
expect("only bodies hosted at the failed site lost test days", function(r)
  for _, s in ipairs(r.schedule.slips) do
    if s.cause == "outage" then
      local lg = schedule_lg(s.lg)
      if not lg or lg.site ~= site then return false, s.lg end
    end
  end
  return true
end)
local most = promote == "manual" and 5 or 1   -- business days in the outage; with failover, its first
expect("no body lost more test days than " .. most, function(r)
  for _, s in ipairs(r.schedule.slips) do
    if s.cause == "outage" and s.days > most then return false, s.lg .. " lost " .. s.days .. " days" end
  end
  return true
end)
