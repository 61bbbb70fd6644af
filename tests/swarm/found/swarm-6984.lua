-- swarm seed 6984: semisync mirroring, failback manual, 3 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 271004 unserved from 2017-11-13 13:26:53 to 2017-11-13 13:34:36 (463 s, served again) while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-6984.lua --seed 6984
failover_settings { mirroring = "semisync", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("09:09:11", function() fault.site_down("west", { duration = "120s" }) end)   -- #1 site_down
at("13:11:30", function() fault.partition("east", "west", { duration = "1380s" }) end)   -- #2 partition_sites
at("13:26:52", function() swarm_operator("failback", "west", operator.failback("west")) end)   -- #3 failback
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
