-- swarm seed 547: async mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: one_site_serves: tenant 131016 served by 2 sites at 2017-11-13 09:50:54
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-547.lua --seed 547
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("09:30:38", function() fault.partition("east", "ops", { duration = "1320s" }) end)   -- #1 partition_ops
at("09:50:53", function() swarm_operator("promote", "east", operator.promote("east")) end)   -- #2 promote
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
