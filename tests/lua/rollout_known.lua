-- tests/lua/rollout_known.lua - the schedule engine on known answers: fixed durations on
-- topologies/small.lua (four municipalities: 131016 and 141003 at the east site, 271004 and
-- 401307 at the west), every date worked out by hand across Golden Week 2017.
--
-- Business days from Wednesday 2017-04-26: d0 04-26, d1 04-27, d2 04-28, (4/29 Showa Day,
-- a Saturday; 4/30 Sunday) d3 05-01, d4 05-02, (5/3-5/5 holidays, the weekend) d5 05-08,
-- d6 05-09, d7 05-10, d8 05-11, d9 05-12, d10 05-15, d11 05-16.
-- An instance that starts on day s and works n days ends on day s + n - 1 and finishes on
-- s + n: what comes after it may start then; a milestone is reached on its finish day.
--
-- With --set outage=true the east site is down from 05-08 07:00 to 05-09 07:00: 131016's
-- first test (d5) fails and is taken again, so it holds the east test slot a day longer and
-- 141003 waits one more day than planned.
local outage = param("outage", false)
start "2017-04-26 08:30"
finish "2017-06-30"

capacity { name = "slots", per = "site", units = 1, daily = true }
capacity { name = "helpdesk", per = "national", units = 2 }
external { name = "layout", date = "2017-05-08", actual = "2017-05-10" }

phase { name = "prep", duration = 3, uses = "helpdesk" }                       -- 2 of 4 at a time
phase { name = "coord", scope = "prefecture", duration = 5 }
phase { name = "test", duration = dist.fixed(2), after = { "coord" }, tests = true }
phase { name = "review", scope = "national", duration = 1, risk = { redo = 1, duration = 2 } }
phase { name = "adopt", scope = "national", duration = 1, after = "layout" }
milestone { name = "ready", target = "2017-05-12", after = "test" }
milestone { name = "reviewed", target = "2017-04-27", after = "review" }
milestone { name = "half ready", target = "2017-05-10", after = "test", share = 0.5 }

-- heartbeats hourly (two months of 5-second beats would be most of the run); in the outage
-- nobody promotes the east site's tenants to the west: the tests fail until it is back
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m", promote = "manual" }
if outage then
  at("2017-05-08 07:00", function() find("east"):crash("test outage") end)
  at("2017-05-09 07:00", function() find("east"):recover("test outage over") end)
end

local function eq(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 0) end
end

local function check(fn)
  return function(r)
    local ok, err = pcall(fn, r)
    return ok, err
  end
end

expect("calendar: Golden Week and fiscal years", check(function()
  eq("is_holiday", calendar.is_holiday("2017-05-04"), "みどりの日")
  eq("not a holiday", calendar.is_holiday("2017-05-08"), false)
  eq("business days across Golden Week", calendar.business_days("2017-05-02", "2017-05-08"), 1)
  eq("add", calendar.add_business_days("2017-04-28", 2), "2017-05-02")
  eq("fiscal year", calendar.fiscal_year("2017-03-31"), 2016)
  eq("next business day", calendar.next_business_day("2017-05-03"), "2017-05-08")
  eq("2019 holidays", #calendar.holidays(2019), 22)
  local _, en, kind = calendar.is_holiday("2019-05-01")
  eq("2019-05-01", en .. "/" .. kind, "Enthronement Day/special")
end))

expect("prep: two at a time (helpdesk units), in code order", check(function()
  local a, b, c, d = schedule_lg("131016"), schedule_lg("141003"), schedule_lg("271004"), schedule_lg("401307")
  eq("131016 start", a.phases.prep.start, "2017-04-26")
  eq("141003 start", b.phases.prep.start, "2017-04-26")
  eq("271004 start", c.phases.prep.start, "2017-05-01")   -- d3, when the first two release
  eq("401307 end", d.phases.prep["end"], "2017-05-08")     -- d3..d5
  eq("capacity waited as planned: no capacity slip", c.phases.prep.slips.capacity, 0)
end))

expect("test: after the prefecture's coordination, one test slot a day per site", check(function()
  local a, b, c, d = schedule_lg("131016"), schedule_lg("141003"), schedule_lg("271004"), schedule_lg("401307")
  eq("131016 start", a.phases.test.start, "2017-05-08")
  if not outage then
    eq("131016 test days", table.concat(a.phases.test.test_days, " "), "2017-05-08 2017-05-09")
    eq("131016 finish", a.phases.test.finish, "2017-05-10")
    eq("141003 test days", table.concat(b.phases.test.test_days, " "), "2017-05-10 2017-05-11")
    eq("141003 finish", b.phases.test.finish, "2017-05-12")
    eq("141003 planned wait", b.phases.test.slips.capacity, 0)
  else
    eq("131016 test days", table.concat(a.phases.test.test_days, " "), "2017-05-08 2017-05-09 2017-05-10")
    eq("131016 outage", a.phases.test.slips.outage, 1)
    eq("131016 finish", a.phases.test.finish, "2017-05-11")
    eq("141003 test days", table.concat(b.phases.test.test_days, " "), "2017-05-11 2017-05-12")
    eq("141003 waited a day more than planned", b.phases.test.slips.capacity, 1)
    eq("141003 finish", b.phases.test.finish, "2017-05-15")
  end
  eq("271004 finish (west: untouched)", c.phases.test.finish, "2017-05-10")
  eq("401307 finish", d.phases.test.finish, "2017-05-12")
  eq("401307 outage", d.phases.test.slips.outage, 0)
end))

expect("milestones", check(function(r)
  local m = r.schedule.milestones
  eq("ready date", m.ready.date, outage and "2017-05-15" or "2017-05-12")
  eq("ready met", m.ready.met, not outage)
  eq("ready planned", m.ready.planned, "2017-05-12")
  eq("half ready (2 of 4)", m["half ready"].date, outage and "2017-05-11" or "2017-05-10")
  eq("reviewed: done once, then again", m.reviewed.date, "2017-05-01")
  eq("reviewed planned", m.reviewed.planned, "2017-04-27")
  eq("reviewed met", m.reviewed.met, false)
end))

expect("slips by cause", check(function(r)
  local s = r.schedule.slip_days
  eq("redo", s.redo, 2)
  eq("outage", s.outage, outage and 1 or 0)
  eq("capacity", s.capacity, outage and 1 or 0)
  eq("overrun", s.overrun, 0)
  local late = {}
  for _, e in ipairs(r.schedule.slips) do late[e.lg .. " " .. e.phase .. " " .. e.cause] = e.days end
  eq("the external event", late["external layout dependency"], 2)
  eq("the redo", late["national review redo"], 2)
  if outage then eq("the outage", late["131016 test outage"], 1) end
end))

expect("an external event late against the plan delays what comes after it", check(function(r)
  for _, row in ipairs(r.schedule.phases) do
    if row.phase == "adopt" then
      eq("adopt start", row.start, "2017-05-10")
      eq("adopt planned", row.planned_start, "2017-05-08")
      eq("adopt dependency slip", row.slips.dependency, 2)
      return
    end
  end
  error("no adopt row")
end))

expect("connection tests are real inquiries", check(function(r)
  eq("one inquiry a test day", r.flows.inquiry.started, r.schedule.test_inquiries.sent)
  eq("test days", r.schedule.test_inquiries.sent, outage and 9 or 8)
  eq("failed", r.schedule.test_inquiries.failed, outage and 1 or 0)
end))

expect("readiness: members in each phase (queued ones too), not started, between phases, live", check(function(r)
  local rows = {}
  for _, row in ipairs(r.schedule.readiness) do
    local c = row.counts
    rows[row.date] = string.format("prep %d test %d not_started %d waiting %d live %d", c.prep, c.test,
                                   c.not_started, c.waiting, c.live)
  end
  eq("d0", rows["2017-04-26"], "prep 4 test 0 not_started 0 waiting 0 live 0")
  eq("d3", rows["2017-05-01"], "prep 2 test 0 not_started 0 waiting 2 live 0")
  eq("d5", rows["2017-05-08"], "prep 2 test 4 not_started 0 waiting 0 live 0")
  local last = r.schedule.readiness[#r.schedule.readiness]
  eq("all live at the end", last.counts.live, 4)
end))

expect("the critical path to ready: the prefecture's coordination, then the last test", check(function(r)
  local path = r.schedule.milestones.ready.critical_path
  local names = {}
  for _, step in ipairs(path) do names[#names + 1] = (step.phase or step.external) .. "@" .. (step.lg or "") end
  eq("path", table.concat(names, " "), "coord@140007 test@141003")
  eq("from", r.schedule.milestones.ready.critical_from, "start")
end))
