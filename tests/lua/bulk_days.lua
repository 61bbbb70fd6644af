-- tests/lua/bulk_days.lua - bulk initial code acquisition with known answers (issue 13), on
-- small.lua (residents{} at scale 0.0005: a capacity of 20,000 real persons a day is 10 of the
-- twin's residents a day). The residents without a code are new ones (new_resident: born or
-- from abroad), so each body queues exactly the number made here. --set case=...:
--   one       千代田区, 25 residents from Monday 2017-11-13: ceil(25/10) = 3 business days,
--             done on Wednesday 11-15
--   holiday   the same from Wednesday 11-22: Thursday 11-23 (勤労感謝の日) and the weekend
--             are skipped: 3 business days, done on Monday 11-27
--   two       千代田区 25 then 横浜市 15, sharing the capacity: 横浜市 is done on the 4th
--             business day = ceil(40/10), 千代田区 on the 3rd
--   jlis_down J-LIS down all of Tuesday 11-14: one day later (4 business days), every one of
--             the 25 acquired exactly once
--   maintenance  a planned stop all of Tuesday, announced: the same
--   lg_down   千代田区 25 then 横浜市 15, 千代田区's own systems down from Monday 10:00 for 48 h:
--             its residents wait, 横浜市 goes on (Monday's last 4, Tuesday's 10, Wednesday's
--             first 1: done on its 3rd day); 千代田区 has 6 from Monday morning, 9 from
--             Wednesday 10:00 and Thursday's 10: done on its 4th day
--   bad_list  a list with an agency in it, at run time: refused, nothing queued
local case = param("case", "one")
local starts = { one = "2017-11-13 08:30", holiday = "2017-11-22 08:30", two = "2017-11-13 08:30",
                 jlis_down = "2017-11-13 08:30", lg_down = "2017-11-13 08:30", maintenance = "2017-11-13 08:30", bad_list = "2017-11-13 08:30" }
start(starts[case])
finish(case == "holiday" and "2017-11-28 17:15" or "2017-11-17 17:15")
-- the platform sites' heartbeats, hourly: two weeks of them every 5 s would be most of the run
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m" }
bulk_settings { jlis_per_day = 20000, nws_per_day = param("nws_per_day", 40000) }
if case == "maintenance" then
  maintenance { from = "2017-11-14 00:00", duration = "24h", announced = "2017-11-01 09:00" }
end

local function newcomers(lg, n)
  for _ = 1, n do new_resident(lg) end
end
local queued = {}
local refused
at(starts[case], function()
  newcomers("131016", 25)
  if case == "two" or case == "lg_down" then newcomers("141003", 15) end
  if case == "bad_list" then
    local ok, err = pcall(bulk_acquire, { body = { "131016", "pension" } })
    refused = not ok and tostring(err)
    return
  end
  queued["131016"] = bulk_acquire { body = "131016" }
  if case == "two" or case == "lg_down" then queued["141003"] = bulk_acquire { body = "141003" } end
  if case == "lg_down" then
    at("2017-11-13 10:00", function() fault.crash("131016", { duration = "48h" }) end)
  end
  if case == "jlis_down" then
    at("2017-11-14 00:00", function() fault.crash("jlis", { duration = "24h" }) end)
  end
end)

local done_on = {}
every("1m", function()
  for lg, _ in pairs(queued) do
    local p = bulk_progress(lg)
    if p and p.done and not done_on[lg] then done_on[lg] = calendar.today() end
  end
end)

expect("figures", function(r)
  return true, json_encode({ queued = queued, done_on = done_on, bulk = r.bulk or {}, refused = refused })
end)
