-- swarm seed 334: async mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 271004 unserved from 2017-11-13 12:36:12 to at least 2017-11-13 12:36:59 while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-334.lua --seed 334
failover_settings { mirroring = "async", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("12:13:57", function() fault.partition("east", "west", { duration = "1740s" }) end)   -- #2 partition_sites
at("12:36:12", function() fault.site_down("west", { duration = "4920s" }) end)   -- #3 site_down
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
