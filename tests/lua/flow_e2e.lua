-- End to end on topologies/small.lua: code acquisition, replica registration, inquiry and
-- provision, and every error path, each checked by its outcome. Run after small.lua.

local CHIYODA, OSAKA, YOKOHAMA = "131016", "271004", "141003"
local outcome, payload, serial = {}, {}, {}
on_flow_end(function(ev)
  outcome[ev.flow], payload[ev.flow], serial[ev.flow] = ev.outcome, ev.payload, ev.serial_no
end)

-- someone who moved from Chiyoda to Osaka: both hold a code for them (set up the day before)
local mover, before
for a = 1, 5000 do
  local r = resident(OSAKA, a)
  if r.current and r.moved_from and r.moved_from.name == CHIYODA then mover, before = a, r.moved_from_addressee break end
end
assert(mover, "no mover from Chiyoda to Osaka")

-- a newborn in Yokohama: no code yet
local baby = new_resident(YOKOHAMA)

local flows = {}
local function later(t, name, fn) at(t, function() flows[name] = fn() end) end

local record = { child = "双子", amount = 15000, note = "児童手当 2017" }
later("09:00", "no_code", function()
  return inquire { from = YOKOHAMA, addressee = baby, procedure = "child_allowance", provider = CHIYODA, staff = 3 }
end)
later("09:01", "acquire", function() return acquire_code(YOKOHAMA, baby) end)
later("09:02", "register", function()
  return register_replica(CHIYODA, { addressee = before, item = "TM99000000000005", record_id = "CA-0001",
                                     payload = record, from = "2017-04-01", to = "2018-04-01" })
end)
later("09:03", "duplicate", function()
  return register_replica(CHIYODA, { addressee = before, item = "TM99000000000005", record_id = "CA-0001",
                                     payload = { again = true } })
end)
-- a procedure whose item is the child-allowance information Chiyoda just registered
later("09:05", "provided", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance_status", provider = CHIYODA, staff = 9 }
end)
later("09:06", "not_permitted", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance_status", provider = "pension", staff = 9 }
end)
later("09:07", "no_staff", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA }
end)
at("09:08", function() tamper { count = 1 } end)
later("09:08", "integrity", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
end)
later("09:09", "after_code", function()   -- the newborn now has a code: Yokohama's side is fine,
  return inquire { from = YOKOHAMA, addressee = baby, procedure = "child_allowance", provider = CHIYODA, staff = 3 }
end)                                         -- but Chiyoda never knew them: not found
-- no automatic failover here: a lost site's tenants stay unreachable (failover has its own tests)
failover_settings { promote = "manual" }
at("10:00", function() find("east"):crash("power failure") end)
later("10:01", "timeout", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
end)
at("10:05", function() find("east"):recover("power restored") end)
at("10:10", function() link_of("east.ifs", "nws"):down("cable cut") end)
later("10:11", "unreachable", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
end)
at("10:20", function() link_of("east.ifs", "nws"):up("repaired") end)
later("10:21", "again", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
end)
local leak
later("10:30", "leak", function()
  -- a careless replica that carries an individual number: the network invariant must see it
  leak = individual_no(CHIYODA, before)
  return register_replica(CHIYODA, { addressee = before, item = "TM99000000000010", record_id = "LEAK-1",
                                     payload = { note = "mistake " .. leak } })
end)

local want = {
  no_code = "no_code", acquire = "ok", register = "ok", duplicate = "duplicate", provided = "ok",
  not_permitted = "not_permitted", no_staff = "no_staff", integrity = "integrity", after_code = "not_found",
  timeout = "timeout", unreachable = "unreachable", again = "ok", leak = "ok",
}
for name, expected in pairs(want) do
  expect(name .. " -> " .. expected, function()
    local got = outcome[flows[name]]
    return got == expected, tostring(got)
  end)
end
expect("the provision is exactly what Chiyoda registered", function()
  local got = payload[flows.provided]
  return got == json_encode(record), tostring(got)
end)
expect("a provision carries the NWS serial number", function() return serial[flows.provided] ~= nil end)
expect("the leaked individual number was caught", function(r)
  return r.invariants["no individual number on the network"] == false
end)
-- the inquiry naming no staff member was refused at Osaka's own server (no_staff above): the
-- inquirer's duty (seed slide 14), so nothing unchecked reached the network
expect("the inquiry naming no staff member was refused at the inquirer", function(r)
  return r.invariants["every inquiry names a staff member"] == true
end)
local caught = { ["no individual number on the network"] = true }
expect("the other invariants held", function(r)
  for name, held in pairs(r.invariants) do
    if not held and not caught[name] then return false, name end
  end
  return true
end)
expect("inquiry counts", function(r)
  local f = r.flows.inquiry
  return f.started == 11 and f.ended == 11 and f.ok == 3 and f.not_found == 1 and f.unreachable == 2, json_encode(f)
end)

-- the inquirer's own systems crash with an inquiry in flight: it ends, explicitly
later("11:00", "own_crash", function()
  local flow = inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
  find(OSAKA):crash("power failure")
  return flow
end)
at("11:10", function() find(OSAKA):recover("power restored") end)
expect("own_crash -> unreachable", function()
  return outcome[flows.own_crash] == "unreachable", tostring(outcome[flows.own_crash])
end)

-- a partial update: one field changes, the others stay, and the next provision shows it
later("12:00", "update", function()
  return update_replica(CHIYODA, { record_id = "CA-0001", payload = { amount = 20000 } })
end)
later("12:01", "update_missing", function()
  return update_replica(CHIYODA, { record_id = "NO-SUCH", payload = { amount = 1 } })
end)
later("12:02", "after_update", function()
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance_status", provider = CHIYODA, staff = 9 }
end)
expect("update -> ok, update_missing -> not_found", function()
  return outcome[flows.update] == "ok" and outcome[flows.update_missing] == "not_found",
         tostring(outcome[flows.update]) .. " " .. tostring(outcome[flows.update_missing])
end)
expect("the provision after the update carries the new amount and the old fields", function()
  local got = json_decode(payload[flows.after_update] or "{}")
  return got.amount == 20000 and got.child == "双子" and got.note == "児童手当 2017", tostring(payload[flows.after_update])
end)
