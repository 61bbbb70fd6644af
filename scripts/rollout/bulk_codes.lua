-- scripts/rollout/bulk_codes.lua - what-if: each local government's bulk initial code
-- acquisition (一括取得: the agency code of every resident, through J-LIS and the NWS) as a
-- phase of its own, at the capacity J-LIS and the NWS share, before its inter-agency tests. A
-- delta on the national plan: load it after scripts/rollout/national_2017.lua.
--
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua scripts/rollout/bulk_codes.lua \
--       --set resident_scale=0.00001 [--set bulk_per_day=500000] [--runs 200]
--
-- Each body's phase takes the business days its population needs at the capacity left after
-- the bodies that started before it (first come, first served: scripts/README.md, "Bulk
-- initial code acquisition"), so a small town that starts behind the large cities waits for
-- them. ASSUMED: the capacity (one million persons a business day at J-LIS and at the NWS:
-- the real figures are not public) and that the acquisition can start once the body has
-- applied for its connection and its test environment is ready.
local per_day = param("bulk_per_day", 1000000)
bulk_settings { jlis_per_day = per_day, nws_per_day = per_day }
phase { name = "initial_codes", bulk_acquisition = true, after = { "connection_application", "test_environment" } }
revise("inter_agency_test", { after = { "initial_setup", "initial_codes", "test_partners", "coordination" } })

expect("every body's codes were acquired", function(r)
  for _, row in ipairs(r.schedule.phases) do
    if row.phase == "initial_codes" and row.done ~= row.members then return false, row.group end
  end
  return true
end)
