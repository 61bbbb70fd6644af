-- scripts/rollout/layout_late.lua - what-if: the 2016 yearly revision of the data standard
-- layout lands two months late (end of September instead of end of July), and the vendors
-- cannot prepare the local governments' test environments until October. A delta on the
-- national plan: load it after scripts/rollout/national_2017.lua.
--
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua scripts/rollout/layout_late.lua \
--       --set resident_scale=0.00001 [--runs 200]
--
-- What it shows: layout adoption and test environments push initial-stage work, the
-- inter-agency tests and production preparation later; the tests crowd into the last months
-- of the window and queue for slots; trial operation (2017-07-18) is at risk. Compare its
-- Monte Carlo odds with the plan's. Dates ASSUMED, as in the plan.

-- "actual": the plan keeps its dates; these are what happened (late against the plan).
revise("layout_2016", { actual = param("layout_2016", "2016-09-30") })
revise("vendor_test_env", { actual = param("vendor_env", "2016-10-03") })

expect("the inter-agency tests are not done by the end of fiscal 2016", function(r)
  local m = r.schedule.milestones["inter-agency tests done"]
  return not m.met, m.date
end)
expect("the late layout or the late test environments are on the critical path to trial operation", function(r)
  local path = r.schedule.milestones["trial operation"].critical_path
  for _, step in ipairs(path) do
    if step.external == "layout_2016" or step.external == "vendor_test_env" then return true end
  end
  return false, path[1] and (path[1].external or path[1].phase)
end)
expect("the tests waited for slots longer than planned", function(r) return r.schedule.slip_days.capacity > 0 end)
expect("both events are recorded as late dependencies", function(r)
  local late = {}
  for _, s in ipairs(r.schedule.slips) do
    if s.lg == "external" and s.cause == "dependency" then late[s.phase] = s.days end
  end
  return (late.layout_2016 or 0) > 0 and (late.vendor_test_env or 0) > 0, json_encode(late)
end)
