-- The east site is lost at a random moment of the business day (drawn from the run's seed)
-- with replica updates and inquiries under way; west takes over. Run after small.lua with
-- --set mirroring=sync|semisync|async. Synchronous: no acknowledged write is lost (and
-- writes are refused while the backup is away; semisync accepts them). Asynchronous: what is
-- lost is exactly the unshipped tail at the moment of the loss.
local mode = param("mirroring", "sync")
failover_settings { mirroring = mode }
workload { inquiries_per_day = 4000, replica_updates_per_day = 30000, business_hours = { "08:30", "17:15" } }
local moment = time("2017-11-13 09:00") + math.random(0, 7 * 3600) * 1000000 + math.random(0, 999999)
at(moment, function() fault.site_down("east", { duration = "30m" }) end)
finish(moment + duration("1h"))

expect("west serves east's tenants within a minute", function(r)
  local f = r.faults[1]
  return f.restored ~= nil and f.restored < duration("1m"), f.restored and fmt_duration(f.restored) or "never"
end)
if mode == "sync" or mode == "semisync" then
  expect("no acknowledged write lost", function(r) return r.rpo_writes == 0, r.rpo_writes .. " lost" end)
  -- while east is away, strict sync refuses writes at west (no copy); semisync takes them alone
  expect("writes during the loss: refused (sync) or accepted (semisync)", function(r)
    local refused = r.faults[1].failed_by.replica.unreachable or 0
    if mode == "sync" then return refused > 0, refused .. " refused" end
    return refused == 0, refused .. " refused"
  end)
else
  expect("lost = unshipped tail", function(r)
    local f = r.faults[1]
    log("RPO", f.rpo_writes, "unshipped", f.unshipped)
    return f.rpo_writes == f.unshipped, f.rpo_writes .. " lost, " .. f.unshipped .. " unshipped"
  end)
end
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
