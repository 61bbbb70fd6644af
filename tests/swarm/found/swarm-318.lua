-- swarm seed 318: async mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: writes_accounted: 4 acknowledged write(s) missing from the serving store, the RPO counts 2
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-318.lua --seed 318
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("12:17:59", function() fault.site_down("west", { duration = "1380s", lose_state = true }) end)   -- #4 site_loss
at("14:21:26", function() fault.flap("east", "west", { duration = "1440s", period = "124s" }) end)   -- #7 flap
at("14:38:59", function() fault.site_down("east", { duration = "3840s", lose_state = true }) end)   -- #8 site_loss
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
