-- tests/lua/maintenance.lua - planned stops of the network (issue 13), on small.lua, Friday
-- 2017-11-24. A stop announced a week before (10:00-12:00) is known to the desks: no
-- inquiry and no code acquisition starts in it, and one asked anyway (an ad hoc inquire) is
-- answered planned_maintenance by the inquirer's server at once. A stop announced an hour
-- before (14:00-15:00, under the day's notice) takes the desks by surprise: their inquiries
-- are sent and each is answered planned_maintenance, never left to time out.
start "2017-11-24 08:30"
finish "2017-11-24 17:15"
workload { inquiries_per_day = 2000, new_residents_per_day = 40, replica_batch = false }
maintenance { from = "2017-11-24 10:00", duration = "2h", announced = "2017-11-17 10:00" }
maintenance { from = "2017-11-24 14:00", duration = "1h", announced = "2017-11-24 13:00" }
-- what the desks started in each window, from the flows that ended (they end at once here)
local outcome, adhoc = {}, nil
local in_known, in_surprise = {}, { maint = 0, other = 0 }
on_flow_end(function(ev)   -- one handler: a second on_flow_end replaces the first
  outcome[ev.flow] = ev.outcome
  local t = now()
  if t >= time("2017-11-24 10:00") and t < time("2017-11-24 12:00") then
    if ev.flow ~= adhoc then in_known[ev.kind] = (in_known[ev.kind] or 0) + 1 end
  elseif t >= time("2017-11-24 14:00") and t < time("2017-11-24 15:00") and ev.kind == "inquiry" then
    if ev.outcome == "planned_maintenance" then in_surprise.maint = in_surprise.maint + 1
    else in_surprise.other = in_surprise.other + 1 end
  end
end)
at("2017-11-24 11:00", function()
  adhoc = inquire { from = "271004", addressee = 1, procedure = "child_allowance", provider = "131016", staff = 1 }
end)
expect("the announced stop: the desks start nothing in it", function()
  return (in_known.inquiry or 0) == 0 and (in_known.code_request or 0) == 0, json_encode(in_known)
end)
expect("an inquiry in the announced stop is answered planned_maintenance", function()
  return outcome[adhoc] == "planned_maintenance", tostring(outcome[adhoc])
end)
expect("the surprise stop: the desks' inquiries are each answered planned_maintenance", function()
  return in_surprise.maint > 20 and in_surprise.other == 0, json_encode(in_surprise)
end)
expect("no inquiry timed out", function(r) return (r.flows.inquiry.timeout or 0) == 0, tostring(r.flows.inquiry.timeout) end)
