-- scripts/bench/national_day.lua - one business day of the national flow at the fiscal-2022
-- volume: local governments made about 30.3 million inquiries that year, about 125,000 per
-- business day, mostly for local-tax information. --set day_scale=10 for a peak day.
--   renkei run topologies/japan.lua scripts/bench/national_day.lua --fast --out out/
local scale = param("day_scale", 1)
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" } }

expect("about the fiscal-2022 volume was asked", function(r)
  local n = r.flows.inquiry.started
  local want = 125000 * scale
  return math.abs(n - want) < 0.05 * want, n .. " inquiries for " .. want
end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
-- "not_found" is an answer too (the provider holds nothing for that person and item: 該当なし);
-- the twin seeds resident-record and local-tax replicas for everyone, benefits for some.
expect("every inquiry was answered", function(r)
  local f = r.flows.inquiry
  local answered = f.ok + f.not_found
  return answered == f.ended, answered .. " of " .. f.ended
end)
