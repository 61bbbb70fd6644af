-- swarm seed 179: semisync mirroring, failback manual, 2 fault(s) (written by renkei swarm)
-- violation: not_stranded: tenant 131016 unserved from 2017-11-13 12:28:45 to the end with both its sites up and reachable by ops
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-179.lua --seed 179
failover_settings { mirroring = "semisync", failback = "manual" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("10:31:37", function() fault.site_down("east", { duration = "4440s" }) end)   -- #1 site_down
at("11:37:45", function() fault.site_down("west", { duration = "3060s", lose_state = true }) end)   -- #2 site_loss
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
