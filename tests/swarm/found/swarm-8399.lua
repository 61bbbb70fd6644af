-- swarm seed 8399: semisync mirroring, failback auto, 3 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 271004 unserved from 2017-11-13 11:06:16 to 2017-11-13 11:16:31 (615 s, served again) while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-8399.lua --seed 8399
failover_settings { mirroring = "semisync", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("09:30:02", function() fault.partition("east", "west", { duration = "2220s" }) end)   -- #1 partition_sites
at("09:47:15", function() fault.crash("ops", { duration = "1140s" }) end)   -- #2 ops_down
at("10:50:24", function() fault.partition("east", "west", { duration = "1560s" }) end)   -- #3 partition_sites
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
