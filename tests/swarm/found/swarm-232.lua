-- swarm seed 232: sync mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 131016 unserved from 2017-11-13 15:00:29 to at least 2017-11-13 15:01:16 while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-232.lua --seed 232
failover_settings { mirroring = "sync", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("14:10:28", function() fault.site_down("west", { duration = "3000s", lose_state = true }) end)   -- #3 site_loss
at("14:53:34", function() fault.partition("east", "ops", { duration = "2160s" }) end)   -- #5 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
