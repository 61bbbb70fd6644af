-- tests/lua/rollout_gates.lua - the gates before a body connects, and J-LIS's platform, on
-- known answers worked out by hand on topologies/small.lua (131016 and 141003 at the east
-- site, 271004 and 401307 at the west).
--
-- Business days from Thursday 2017-06-01: d0 06-01, d1 06-02, d2 06-05, d3 06-06, d4 06-07,
-- d5 06-08, d6 06-09, d7 06-12, d8 06-13, d9 06-14, d10 06-15.
--
-- 131016 is in a wave that starts after the run: its protection assessment is never done, it
-- never connects, and the live NWS refuses its inquiries (no_assessment).
-- sign_up takes one of J-LIS's onboarding slots, one a day per site: at the west site 271004
-- signs up on d0, 401307 waits for d1 (planned so); at the east 141003 on d0.
-- pia: 3 days from d0, finishes d3. The catalogue gate (cases CT-05.child_allowance, CT-01):
--   141003 by its evidence bundle, as the connection test writes it (connect_evidence.json:
--   every case of the gate passed, the session ended 2017-06-12): opens d7;
--   401307 by a bundle in which CT-05.child_allowance failed: never opens, it never connects;
--   271004 simulated, 4 days, never failing: d0-d3, finishes d4.
-- connect (after pia, sign_up and the gate, 1 day): 271004 d4 -> finishes d5 (06-08);
-- 141003 d7 -> finishes d8 (06-13).
-- 271004's assessment lapses on 06-20 09:00 for a day: its 10:00 inquiry is refused, its
-- inquiry of 06-22 is not. An upgrade night of the west site from 06-14 22:00 (--set
-- upgrade=14h: until 12:00 the next day, no failover) fails 401307's inquiry at 10:00 on 06-15.
local upgrade = param("upgrade", "2h")
start "2017-06-01 08:30"
finish "2017-07-31"
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m", promote = "manual" }
schedule { operator = "J-LIS", as_of = { "2017-06-12", "2017-06-13" } }

connection_catalogue { "CT-01", "CT-05.child_allowance", "CT-06", "CT-03.TM00000000000001" }
capacity { name = "onboarding", per = "site", units = 1, daily = true }
release { name = "software", upgrade = { sites = { "west" }, at = "22:00", duration = upgrade },
          versions = { { "1.0", "2017-06-14" } } }

wave { name = "late", codes = { "131016" }, start = "2017-09-01" }
wave { name = "rest" }
phase { name = "sign_up", duration = 1, uses = "onboarding" }
phase { name = "pia", duration = 3, pia = true }
phase { name = "catalogue", duration = 4, catalogue = {
  cases = { "CT-05.child_allowance", "CT-01" }, fail = 0,
  evidence = { ["141003"] = "evidence/bundle_141003.json", ["401307"] = "evidence/bundle_401307.json" } } }
phase { name = "connect", duration = 1, after = { "sign_up", "pia", "catalogue" } }
milestone { name = "connected", target = "2017-06-30", after = "connect" }

local outcomes = {}
on_flow_end(function(ev) if ev.kind == "inquiry" then outcomes[#outcomes + 1] = ev.body .. " " .. clock():sub(1, 16) .. " " .. ev.outcome end end)
local function ask(from, when) at(when, function() inquire { from = from, addressee = 1, procedure = "public_assistance_pension", provider = "pension", staff = 7 } end) end
ask("131016", "2017-06-20 10:00")
ask("141003", "2017-06-20 10:00")
ask("271004", "2017-06-20 10:00")
ask("271004", "2017-06-22 10:00")
ask("401307", "2017-06-15 10:00")
at("2017-06-20 09:00", function() assessment_lapse("271004", "1d") end)

local function eq(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 0) end
end

expect("known answers", function(r)
  local ok, err = pcall(function()
    eq("131016 live", schedule_lg("131016").live, nil)
    eq("401307 live", schedule_lg("401307").live, nil)
    local a, b = schedule_lg("271004").phases, schedule_lg("141003").phases
    eq("401307 sign_up", schedule_lg("401307").phases.sign_up.start, "2017-06-02")
    eq("271004 sign_up", a.sign_up.start, "2017-06-01")
    eq("271004 pia finish", a.pia.finish, "2017-06-06")
    eq("271004 catalogue finish", a.catalogue.finish, "2017-06-07")
    eq("271004 connect", a.connect.start .. " " .. a.connect.finish, "2017-06-07 2017-06-08")
    eq("141003 catalogue (bundle)", b.catalogue.start .. " " .. b.catalogue.finish, "2017-06-12 2017-06-12")
    eq("141003 connect", b.connect.start .. " " .. b.connect.finish, "2017-06-12 2017-06-13")
    local got = table.concat(outcomes, "; ")
    local refused = {}
    for _, o in ipairs(outcomes) do if o:find("no_assessment") then refused[#refused + 1] = o end end
    eq("refused", table.concat(refused, "; "), "131016 2017-06-20 10:00 no_assessment; 271004 2017-06-20 10:00 no_assessment")
    eq("inquiries", #outcomes, 5)
    if upgrade == "2h" and not got:find("401307 2017-06-15 10:00 ok", 1, true) and not got:find("401307 2017-06-15 10:00 not_found", 1, true) then
      error("401307's inquiry after a short upgrade night: " .. got, 0)
    end
    if upgrade ~= "2h" and (got:find("401307 2017-06-15 1%d:%d%d ok") or got:find("401307 2017-06-15 1%d:%d%d not_found")) then
      error("401307's inquiry during a long upgrade night was answered: " .. got, 0)
    end
  end)
  return ok, err
end)
