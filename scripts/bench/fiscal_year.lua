-- scripts/bench/fiscal_year.lua - fiscal 2022 (1 April 2022 to 31 March 2023) at the national
-- volume: local governments made about 30.3 million inquiries that year over its 243
-- business days (weekends, the national holidays that fell on weekdays and the year-end
-- closure 12/29-1/3 are closed: the calendar computes them), with a monthly shape (more in
-- April, at the start of the fiscal year, and in June, when the year's local tax is settled;
-- fewer in August and December: an illustrative shape, not published monthly figures),
-- the nightly replica batches, and a nemesis that injects a fault about once a day (--set every=6h
-- for more: each site fault costs a whole resynchronisation) all year. At the end every
-- invariant must have held.
--   renkei run topologies/japan.lua scripts/bench/fiscal_year.lua --zstd --out out/fy2022
--   ... --set months=1          only April (the bench's share; a year is twelve of them)
--   ... --set year_scale=0.1    a tenth of the volume
local months = param("months", 12)
local scale = param("year_scale", 1)
local fault_every = param("every", "1d")
assert(months >= 1 and months <= 12, "months: 1 to 12")

start "2022-04-01 00:00"
local first = { "2022-04-01", "2022-05-01", "2022-06-01", "2022-07-01", "2022-08-01", "2022-09-01",
                "2022-10-01", "2022-11-01", "2022-12-01", "2023-01-01", "2023-02-01", "2023-03-01",
                "2023-04-01" }
finish(first[months + 1] .. " 00:00")

-- the year's volume over its business days, and the months' shape around it (mean 1)
local shape = { 1.15, 0.95, 1.20, 1.00, 0.85, 0.95, 1.00, 1.00, 0.85, 0.95, 1.00, 1.10 }
local business = {}
local total_days, weighted = 0, 0
for m = 1, 12 do
  business[m] = calendar.business_days(calendar.add_business_days(first[m], -1), first[m + 1]) -
                (calendar.is_business_day(first[m + 1]) and 1 or 0)
  total_days = total_days + business[m]
  weighted = weighted + business[m] * shape[m]
end
local per_day = 30.3e6 * scale / weighted   -- so that the year adds up to 30.3 million
workload { inquiries_per_day = per_day, business_hours = { "08:30", "17:15" },
           replica_updates_per_day = 50000 * scale }
workload_scale(shape[1])
for m = 2, months do
  at(first[m] .. " 00:00", function() workload_scale(shape[m]) end)
end

local lgs = nodes_where { kind = "lg" }
local sites = nodes_where { kind = "site" }
local ifs = nodes_where { kind = "ifs" }
fault.nemesis {
  every = fault_every, duration = fmt_duration(time(first[months + 1] .. " 00:00") - now()),
  faults = {
    { kind = "crash", target = lgs, weight = 4, duration = "30m" },
    { kind = "site_down", target = sites, weight = 1, duration = "1h" },
    { kind = "link_cut", a = lgs, b = sites, weight = 3, duration = "20m" },
    { kind = "degrade", a = ifs, b = { "nws" }, weight = 1, duration = "30m", latency = "300ms", loss = 0.02 },
    { kind = "nws_slow", weight = 1, duration = "15m", delay = "5s" },
    { kind = "nws_down", weight = 1, duration = "10m" },
    { kind = "key_rotation", target = ifs, weight = 1, grace = "30s" },
    { kind = "disk_slow", target = sites, weight = 1, duration = "20m", delay = "200ms" },
    { kind = "corrupt_replica", target = sites, weight = 1, count = 50 },
    { kind = "duplicate", a = ifs, b = { "nws" }, weight = 1, duration = "15m", rate = 0.2 },
  },
}
-- the operators' morning round: fail back whatever is resynchronised
every("1d", function() operator.failback("east"); operator.failback("west") end, { first = "2022-04-02 07:00" })

local asked = 0
for m = 1, months do asked = asked + business[m] * shape[m] * per_day end
expect("the year's volume was asked", function(r)
  local n = r.flows.inquiry.started
  -- within 8%: as on the national day, crashed local governments ask nothing while down
  return math.abs(n - asked) < 0.08 * asked, string.format("%d inquiries for %.0f over %d business days", n, asked, total_days)
end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
expect("every flow ended exactly once", function(r) return r.invariants["every flow ends exactly once"] end)
