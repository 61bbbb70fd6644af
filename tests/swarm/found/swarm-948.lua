-- swarm seed 948: semisync mirroring, failback auto, 2 fault(s) (written by renkei swarm)
-- violation: writes_accounted: 26 acknowledged write(s) missing from the serving store, the RPO counts 0
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-948.lua --seed 948
failover_settings { mirroring = "semisync", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("13:53:51", function() fault.partition("east", "west", { duration = "2160s" }) end)   -- #5 partition_sites
at("14:27:36", function() fault.partition("east", "ops", { duration = "60s" }) end)   -- #6 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
