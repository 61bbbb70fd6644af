-- seed_replica on topologies/small.lua: a replica of the state of the day before is what an
-- inquiry at the first moment of the run gets, at the home site and, after the home site is
-- lost, at the backup. Run after small.lua.
local CHIYODA, OSAKA = "131016", "271004"
local mover, before
for a = 1, 5000 do
  local r = resident(OSAKA, a)
  if r.current and r.moved_from and r.moved_from.name == CHIYODA then mover, before = a, r.moved_from_addressee break end
end
assert(mover, "no mover from Chiyoda to Osaka")

seed_replica(CHIYODA, { addressee = before, item = "TM99000000000005", record_id = "SEED-1",
                        payload = { seeded = "day before" }, from = "2017-04-01" })

local got = {}
on_flow_end(function(ev) if ev.kind == "inquiry" then got[#got + 1] = ev end end)
local function ask() inquire { from = OSAKA, addressee = mover, procedure = "child_allowance_status", provider = CHIYODA, staff = 9 } end
after("0s", ask)
at("10:00", function() fault.site_down("east", { duration = "2h" }) end)
at("11:00", ask)   -- west has promoted Chiyoda's tenant by now: its copy was seeded too

expect("the first inquiry gets the seeded replica", function()
  return got[1] and got[1].outcome == "ok" and got[1].payload:find('"seeded":"day before"', 1, true) ~= nil, got[1] and got[1].outcome
end)
expect("the backup site holds it too", function()
  return got[2] and got[2].outcome == "ok" and got[2].payload:find('"seeded":"day before"', 1, true) ~= nil, got[2] and got[2].outcome
end)
