-- swarm seed 5874: async mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: writes_accounted: 4 acknowledged write(s) missing from the serving store, the RPO counts 0
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-5874.lua --seed 5874
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("13:52:12", function() fault.site_down("west", { duration = "840s" }) end)   -- #6 site_down
at("14:21:23", function() fault.partition("east", "ops", { duration = "1800s" }) end)   -- #7 partition_ops
at("14:35:15", function() fault.partition("east", "west", { duration = "1860s" }) end)   -- #8 partition_sites
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
