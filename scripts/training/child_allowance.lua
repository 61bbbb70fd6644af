-- scripts/training/child_allowance.lua - one child-allowance inquiry, step by step: Osaka asks
-- Chiyoda, where the resident lived before, for local-tax information. Run with
--   renkei run topologies/small.lua scripts/training/child_allowance.lua --out out/ca
-- and read out/ca/trace.jsonl: the inquiry leaves Osaka with its addressee number, the west
-- site converts it to Osaka's agency code, the NWS issues the serial number and converts to
-- Chiyoda's code, Chiyoda's intermediate server answers from its replica, sealed for Osaka.

local who
for a = 1, 2000 do
  local r = resident("271004", a)
  if r.current and r.moved_from and r.moved_from.name == "131016" then who = a break end
end
assert(who, "no resident of Osaka moved in from Chiyoda at this scale")

at("09:00", function()
  log("Osaka's child-allowance desk asks Chiyoda about addressee " .. who)
  inquire { from = "271004", addressee = who, procedure = "child_allowance", provider = "131016", staff = 7 }
end)

local ended = {}
on_flow_end(function(ev)
  ended[#ended + 1] = ev
  log(string.format("flow %d (%s) ended: %s, serial %s, %s", ev.flow, ev.kind, ev.outcome,
                    tostring(ev.serial_no), ev.payload or ""))
end)

expect("the inquiry was answered with local-tax information", function()
  local ev = ended[1]
  return ev and ev.outcome == "ok" and ev.payload and ev.payload:find("TM00000000000002") ~= nil,
         ev and ev.outcome or "no answer"
end)
