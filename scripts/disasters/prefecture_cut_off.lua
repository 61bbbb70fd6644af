-- scripts/disasters/prefecture_cut_off.lua - a prefecture is cut off from LGWAN: every link
-- between its local governments (the prefecture and its municipalities) and both platform
-- sites is down from 10:00 to 14:00 (a landslide on the trunk lines). Okinawa by default;
-- --set prefecture=13 (or a name such as 東京都) picks another.
--
--   renkei run topologies/japan.lua scripts/disasters/prefecture_cut_off.lua
--
-- What it shows: the cut-off local governments cannot inquire (their flows end unreachable or
-- timed out, explicitly), but the rest of the country still gets answers *about* their
-- residents: the intermediate servers at the sites hold the replicas and answer for them.
-- That is the point of the platform. Nothing fails over: the sites are fine.
local pref = param("prefecture", "47")
local scale = param("day_scale", 1)
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" } }

local cut = nodes_where { prefecture = pref }
local ours = {}
for _, n in ipairs(cut) do ours[n.name] = true end

local answered_for_them, failed_ours = 0, 0
local from, to = time("2017-11-13 10:00"), time("2017-11-13 14:00")
on_flow_end(function(ev)
  if ev.kind ~= "inquiry" or now() < from or now() > to then return end
  if ev.provider and ours[ev.provider] and ev.outcome == "ok" then answered_for_them = answered_for_them + 1 end
  if ours[ev.body] and (ev.outcome == "unreachable" or ev.outcome == "timeout") then failed_ours = failed_ours + 1 end
end)
at("10:00", function() fault.partition(cut, { "east", "west" }, { duration = "4h" }) end)

expect("the cut-off local governments could not inquire", function() return failed_ours > 0, failed_ours end)
expect("their residents' information was still provided from the sites", function()
  return answered_for_them > 0, answered_for_them .. " answers"
end)
expect("nothing failed over", function(r) return r.failover.promotions == 0 end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
