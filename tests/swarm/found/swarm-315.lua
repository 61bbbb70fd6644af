-- swarm seed 315: async mirroring, failback auto, 2 fault(s) (written by renkei swarm)
-- violation: one_site_serves: tenant 271004 served by 2 sites at 2017-11-13 10:18:22
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-315.lua --seed 315
failover_settings { mirroring = "async", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("10:11:26", function() fault.partition("west", "ops", { duration = "1860s" }) end)   -- #3 partition_ops
at("10:18:21", function() swarm_operator("promote", "west", operator.promote("west")) end)   -- #4 promote
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
