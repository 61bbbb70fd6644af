-- A short crash of the east site that loses what it had not mirrored (lose_state), too
-- short for a failover: east comes back empty-handed for its unshipped tail, resynchronises
-- from west before serving again, and the audit counts what its tenants lost: nothing
-- acknowledged in synchronous mode; in asynchronous mode exactly the unshipped tail.
local mode = param("mirroring", "sync")
failover_settings { mirroring = mode }
workload { inquiries_per_day = 3000, replica_updates_per_day = 40000, business_hours = { "08:30", "17:15" } }
finish "2017-11-13 12:00"
at(time("2017-11-13 10:00") + 500000, function() fault.crash("east", { duration = "20s", lose_state = true }) end)

expect("no failover (too short)", function(r) return r.failover.promotions == 0 end)
expect("east resynchronised from west before serving", function(r) return r.failover.resyncs >= 1, r.failover.resyncs end)
if mode == "sync" then
  expect("nothing acknowledged was lost", function(r) return r.rpo_writes == 0, r.rpo_writes end)
else
  expect("the unshipped tail was lost, exactly", function(r)
    local f = r.faults[1]
    return f.rpo_writes == f.unshipped, f.rpo_writes .. " lost, " .. f.unshipped .. " unshipped"
  end)
end
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
