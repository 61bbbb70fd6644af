-- swarm seed 173: sync mirroring, failback auto, 2 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 131016 unserved from 2017-11-13 11:08:35 to at least 2017-11-13 11:09:22 while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-173.lua --seed 173
failover_settings { mirroring = "sync", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("10:53:27", function() fault.flap("east", "west", { duration = "1440s", period = "264s" }) end)   -- #3 flap
at("11:08:19", function() fault.partition("east", "ops", { duration = "1380s" }) end)   -- #4 partition_ops
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
