-- swarm seed 706: async mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 131016 unserved from 2017-11-13 14:24:11 to at least 2017-11-13 14:24:58 while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-706.lua --seed 706
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("13:32:10", function() fault.site_down("east", { duration = "3120s", lose_state = true }) end)   -- #6 site_loss
at("14:16:18", function() fault.partition("west", "ops", { duration = "1020s" }) end)   -- #7 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
