-- swarm seed 3701: async mirroring, failback auto, 3 fault(s) (written by renkei swarm)
-- violation: rpo_exact: the RPO counts 6 write(s) lost, the serving stores miss 4
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-3701-tail.lua --seed 3701
failover_settings { mirroring = "async", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("12:12:18", function() fault.site_down("east", { duration = "2100s", lose_state = true }) end)   -- #3 site_loss
at("13:40:52", function() fault.partition("east", "west", { duration = "660s" }) end)   -- #7 partition_sites
at("13:48:36", function() fault.partition("west", "ops", { duration = "1020s" }) end)   -- #8 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
