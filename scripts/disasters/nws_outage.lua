-- scripts/disasters/nws_outage.lua - the information-provision network system (NWS) is down
-- for two hours in the middle of a business day (10:00-12:00).
--
--   renkei run topologies/japan.lua scripts/disasters/nws_outage.lua
--
-- What it shows: every inquiry started during the outage ends with an explicit timeout (no
-- silence), code acquisitions through J-LIS fail the same way, replica registrations (which
-- never leave the intermediate servers) go on, nothing fails over (the sites are fine), and
-- inquiries succeed again from 12:00: the RTO per local government is the time to its first
-- successful inquiry and provision after the outage began.
local scale = param("day_scale", 1)
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" },
           replica_updates_per_day = 50000 * scale, new_residents_per_day = 200 * scale }

at("10:00", function() fault.nws_down { duration = "2h" } end)

expect("inquiries during the outage ended explicitly (timeouts)", function(r)
  local f = r.faults[1]
  local timeouts = f.failed_by.inquiry.timeout or 0
  return timeouts > 0 and r.invariants["every flow ends exactly once"], timeouts .. " timeouts"
end)
expect("replica registrations went on (they stay at the intermediate servers)", function(r)
  local f = r.faults[1]
  return (f.failed_by.replica.timeout or 0) == 0 and r.flows.replica.ok > 0, json_encode(f.failed_by.replica)
end)
expect("nothing failed over", function(r) return r.failover.promotions == 0, r.failover.promotions end)
local after = 0
on_flow_end(function(ev)
  if ev.kind == "inquiry" and ev.outcome == "ok" and now() > time("2017-11-13 12:00") then after = after + 1 end
end)
expect("inquiries succeed again once the NWS is back", function(r)
  local f = r.faults[1]
  return after > 0, after .. " answered after 12:00; RTO p50 " .. fmt_duration(f.rto_p50) .. " over " ..
         f.rto_observed .. " local governments seen"
end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
