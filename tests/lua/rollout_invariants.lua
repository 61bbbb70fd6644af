-- tests/lua/rollout_invariants.lua - what must hold for any schedule, checked from each
-- member's own dates (schedule_lg) rather than from the engine's counters. Load it after a
-- topology and a plan:
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua tests/lua/rollout_invariants.lua ...
-- * no phase starts before everything it comes after has finished (other phases of the
--   body, its prefecture's or wave's phases, external events) nor before its earliest day;
-- * no capacity is ever exceeded: units held per pool and business day, test slots per pool
--   and business day, counted here from the start and end of every phase and its test days
--   (a phase that uses a daily capacity takes one slot on the day it starts);
-- * every lost test day is a recorded outage, every test day took one slot.

local cache
local function members()   -- { code = schedule_lg(code) }, read once at the end of the run
  if cache then return cache end
  cache = {}
  for _, n in ipairs(nodes()) do
    local lg = n.name:match("^%d%d%d%d%d%d$") and schedule_lg(n.name)
    if lg then cache[n.name] = lg end
  end
  return cache
end

expect("no phase starts before what it comes after, nor before its earliest day", function(r)
  local checked = 0
  for code, lg in pairs(members()) do
    for name, ph in pairs(lg.phases) do
      if ph.start then
        if ph.earliest and ph.start < ph.earliest then return false, code .. " " .. name .. " before its earliest day" end
        for _, dep in ipairs(ph.after) do
          local what = dep.phase and (dep.phase .. " of " .. dep.lg) or dep.external
          if not dep.finish or ph.start < dep.finish then
            return false, code .. " " .. name .. " started " .. ph.start .. " before " .. what .. " finished (" .. tostring(dep.finish) .. ")"
          end
          checked = checked + 1
        end
      end
    end
  end
  return checked > 0, checked .. " dependencies checked"
end)

expect("no capacity is ever exceeded (counted from every member's dates)", function(r)
  local units, daily = {}, {}
  for _, cap in ipairs(r.schedule.capacity) do
    for _, pool in ipairs(cap.pools) do units[cap.name .. "/" .. pool.key] = pool.units end
    daily[cap.name] = cap.daily
  end
  local used, peak, worst = {}, 0, ""
  local function take(key, day, n)
    local k = key .. "@" .. day
    used[k] = (used[k] or 0) + n
    if used[k] > units[key] then error(k .. ": " .. used[k] .. " of " .. units[key], 0) end
    if used[k] > peak then peak, worst = used[k], k end
  end
  local ok, err = pcall(function()
    for _, lg in pairs(members()) do
      for _, ph in pairs(lg.phases) do
        if ph.uses and ph.start and daily[ph.uses] then   -- a slot on the day it starts
          take(ph.uses .. "/" .. ph.pool, ph.start, ph.units)
        elseif ph.uses and ph.start and ph["end"] then    -- held from its start to its end
          local d = ph.start
          while d <= ph["end"] do
            take(ph.uses .. "/" .. ph.pool, d, ph.units)
            d = calendar.add_business_days(d, 1)
          end
        end
        if ph.slots then                                   -- one slot a test day
          for _, d in ipairs(ph.test_days) do take(ph.slots .. "/" .. ph.slot_pool, d, 1) end
        end
      end
    end
  end)
  if not ok then return false, err end
  return true, "busiest " .. worst .. " at " .. peak
end)

expect("every test day sent its inquiries, and every lost one is an outage slip", function(r)
  local inquiries, outage = 0, 0
  for _, lg in pairs(members()) do
    for _, ph in pairs(lg.phases) do
      if ph.test_days then inquiries = inquiries + #ph.test_days * ph.inquiries end
      outage = outage + ph.slips.outage
    end
  end
  local t = r.schedule.test_inquiries
  local ok = t.sent == inquiries and r.flows.inquiry.started >= t.sent and outage == r.schedule.slip_days.outage
             and outage <= t.failed and (t.failed == 0) == (outage == 0)
  return ok, string.format("%d inquiries counted, %d sent, %d failed, %d outage days", inquiries, t.sent, t.failed, outage)
end)
