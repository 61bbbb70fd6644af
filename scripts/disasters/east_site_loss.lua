-- scripts/disasters/east_site_loss.lua - the east platform site is lost at 10:00 on a peak
-- business day (power and cooling gone); its tenants fail over to the west site; the site
-- returns in the evening, resynchronises from west overnight, and the operators fail back
-- at 07:00 the next morning, before business hours.
--
--   renkei run topologies/japan.lua scripts/disasters/east_site_loss.lua
--   renkei run topologies/japan.lua scripts/disasters/east_site_loss.lua --set mirroring=async
--   renkei run topologies/japan.lua scripts/disasters/east_site_loss.lua --set mirroring=semisync
--
-- What it shows: detection (heartbeats: 30 s by default), promotion at west granted by the
-- operations centre, the flows that failed during the outage by kind and error, each east
-- tenant's RTO (first successful inquiry and provision again), RPO (acknowledged writes lost:
-- none in synchronous mode; the unshipped tail in asynchronous mode), resynchronisation and
-- failback with the same audit, and that no tenant was ever served by two sites. In strict
-- synchronous mode west refuses writes while east is away (no copy, no acknowledgement):
-- the replica registrations refused are counted; semisync keeps accepting them instead.
local mode = param("mirroring", "sync")
local scale = param("day_scale", 2)   -- a peak day: twice the fiscal-2022 average
failover_settings { mirroring = mode, batch = param("batch", "2s") }
-- existing systems also correct replicas all day (an assumption: 100,000 updates a day)
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" },
           replica_updates_per_day = 100000 }
finish "2017-11-14 12:00"

local loss
at("2017-11-13 10:00", function()
  loss = fault.site_down("east", { duration = "8h" })   -- back at 18:00
end)
at("2017-11-14 07:00", function()
  local ok, why = operator.failback("east")
  log("failback requested:", ok, why or "")
end)

expect("east tenants serve again within 2h", function(r)
  local f = r.faults[1]
  return f.restored ~= nil and f.restored <= duration("2h"), f.restored and fmt_duration(f.restored) or "never"
end)
if mode == "sync" or mode == "semisync" then
  expect("no acknowledged write lost (synchronous mirroring while both sites were up)", function(r)
    return r.rpo_writes == 0, r.rpo_writes .. " lost"
  end)
else
  expect("the writes lost are exactly the unshipped tail (asynchronous)", function(r)
    return r.faults[1].rpo_writes == r.faults[1].unshipped, r.faults[1].rpo_writes .. " lost, " .. r.faults[1].unshipped .. " unshipped"
  end)
end
expect("failed back once, never two sites serving", function(r)
  return r.failover.failbacks == 1 and r.split_brain == 0, json_encode(r.failover)
end)
expect("most east tenants were seen serving again", function(r)
  local f = r.faults[1]
  return f.rto_observed >= 0.5 * f.tenants, f.rto_observed .. " of " .. f.tenants
end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
