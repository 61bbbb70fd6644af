-- swarm seed 7296: sync mirroring, failback auto, 2 fault(s) (written by renkei swarm)
-- violation: served_when_current: tenant 131016 unserved from 2017-11-13 13:05:40 to 2017-11-13 13:06:31 (51 s, served again) while a site with a current copy was up and reachable by ops (bound 46 s)
-- replay:    renkei run topologies/small.lua tests/swarm/found/swarm-7296.lua --seed 7296
failover_settings { mirroring = "sync", failback = "auto" }
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" },
           new_residents_per_day = 400, replica_batch = false }
swarm_checker { plant = false }
at("11:30:34", function() fault.site_down("east", { duration = "2100s", lose_state = true }) end)   -- #1 site_loss
at("12:50:37", function() fault.flap("east", "west", { duration = "1740s", period = "173s" }) end)   -- #2 flap
at("16:30:00", function()   -- the operators' end-of-day drill: promote what is still unserved
  for _, site in ipairs { "east", "west" } do
    local ok, why = operator.promote(site)
    if not ok then ok, why = operator.promote(site, { force = true }) end
    swarm_operator("promote", site, ok, why)
  end
end)
expect("the swarm's checker saw no violation", function() return swarm_verdict() end)
