-- swarm seed 117: semisync mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: rpo_exact: the RPO counts 14 write(s) lost, the serving stores miss 0
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-117.lua --seed 117
failover_settings { mirroring = "semisync", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("12:59:35", function() fault.partition("east", "west", { duration = "1560s" }) end)   -- #3 partition_sites
at("13:22:44", function() fault.partition("west", "ops", { duration = "780s" }) end)   -- #4 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
