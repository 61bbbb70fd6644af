-- swarm seed 6172: async mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: writes_accounted: 2 acknowledged write(s) missing from the serving store, the RPO counts 0
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-6172.lua --seed 6172
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("10:16:42", function() fault.site_down("east", { duration = "5160s" }) end)   -- #1 site_down
at("12:57:21", function() fault.partition("west", "ops", { duration = "1680s" }) end)   -- #5 partition_ops
at("13:02:53", function() fault.partition("east", "west", { duration = "2220s" }) end)   -- #6 partition_sites
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
