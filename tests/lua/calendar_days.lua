-- tests/lua/calendar_days.lua - the workload follows the calendar (issue 13, item 6), on
-- small.lua: Thursday 2017-11-23 (勤労感謝の日, a national holiday) brings no inquiry, no new
-- resident and no nightly batch; the days around it do. The network takes inquiries 08:30-
-- 17:15 on business days (operating_hours{}): one asked at 20:00 is answered
-- outside_operating_hours, not silence.
start "2017-11-22 00:00"
finish "2017-11-25 00:00"
workload { inquiries_per_day = 300, new_residents_per_day = 20, batch_share = 0.05 }
operating_hours { open = "08:30", close = "17:15" }
local per_day, outcome = {}, {}
on_flow_end(function(ev)
  -- flows end within a second of starting here: the day they end is the day they started
  local day = calendar.today()
  per_day[day] = per_day[day] or {}
  per_day[day][ev.kind] = (per_day[day][ev.kind] or 0) + 1
  outcome[ev.flow] = ev.outcome
end)
local function n(day, kind) return (per_day[day] or {})[kind] or 0 end
local late
at("2017-11-22 20:00", function()
  late = inquire { from = "271004", addressee = 1, procedure = "child_allowance", provider = "131016", staff = 1 }
end)
expect("the holiday: no inquiry, no new resident, no batch", function()
  local d = "2017-11-23"
  return n(d, "inquiry") == 0 and n(d, "code_request") == 0 and n(d, "replica") == 0,
         json_encode(per_day[d] or {})
end)
expect("the days around it: inquiries, new residents, the batch", function()
  return n("2017-11-22", "inquiry") > 100 and n("2017-11-24", "inquiry") > 100 and n("2017-11-24", "replica") > 0,
         json_encode(per_day)
end)
expect("an inquiry at 20:00 is answered outside_operating_hours", function()
  return outcome[late] == "outside_operating_hours", tostring(outcome[late])
end)
