-- swarm seed 5535: async mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: writes_accounted: 24 acknowledged write(s) missing from the serving store, the RPO counts 14
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-5535.lua --seed 5535
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("12:17:01", function() fault.site_down("east", { duration = "1620s" }) end)   -- #3 site_down
at("14:23:12", function() fault.site_down("east", { duration = "4620s" }) end)   -- #6 site_down
at("14:40:15", function() fault.site_down("west", { duration = "180s", lose_state = true }) end)   -- #7 site_loss
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
