-- swarm seed 6079: async mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: failback_completes: failback of west accepted at 2017-11-13 14:51:46 neither completed within 144 s nor reported failure
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-6079.lua --seed 6079
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("14:41:14", function() fault.flap("east", "west", { duration = "1140s", period = "102s" }) end)   -- #1 flap
at("14:48:04", function() fault.crash("ops", { duration = "60s" }) end)   -- #2 ops_down
at("14:51:46", function() swarm_operator("failback", "west", operator.failback("west")) end)   -- #3 failback
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
