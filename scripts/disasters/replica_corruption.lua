-- scripts/disasters/replica_corruption.lua - a storage fault corrupts replica rows at the
-- east site at 10:00 (bit rot: the stored payload no longer matches its checksum).
--
--   renkei run topologies/japan.lua scripts/disasters/replica_corruption.lua
--
-- What it shows: an inquiry that reads a damaged row detects it by the row's checksum, the
-- site fetches the row from the west site's copy, stores it and answers from it: the
-- inquirer gets the right data, a little later. The repairs are counted and in the trace.
local scale = param("day_scale", 1)
local rows = param("rows", 20000)
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" } }

at("10:00", function() fault.corrupt_replica("east", { count = rows }) end)

expect("damaged rows were detected and repaired from the west site", function(r)
  return r.failover.repairs_detected > 0 and r.failover.repairs_done == r.failover.repairs_detected,
         r.failover.repairs_done .. " of " .. r.failover.repairs_detected .. " repaired"
end)
expect("no inquiry got an integrity error", function(r)
  return (r.flows.inquiry.integrity or 0) == 0, (r.flows.inquiry.integrity or 0) .. " integrity errors"
end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
