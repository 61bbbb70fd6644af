-- Every fault of the catalogue on topologies/small.lua: each takes effect (an inquiry during
-- it fails the way it should) and its end restores service (the same inquiry after it is
-- answered). One 30-minute slot per fault; promotion is manual here so a site fault shows
-- as itself (failover has its own tests).
failover_settings { promote = "manual" }
finish "2017-11-13 21:00"

local CHIYODA, OSAKA = "131016", "271004"
local outcome, latency = {}, {}
on_flow_end(function(ev) outcome[ev.flow], latency[ev.flow] = ev.outcome, ev.latency end)

local mover, before
for a = 1, 5000 do
  local r = resident(OSAKA, a)
  if r.current and r.moved_from and r.moved_from.name == CHIYODA then mover, before = a, r.moved_from_addressee break end
end
assert(mover, "no mover from Chiyoda to Osaka")

local function ask() -- Osaka (west) asks Chiyoda (east): both sites, both interface systems, the NWS
  return inquire { from = OSAKA, addressee = mover, procedure = "child_allowance", provider = CHIYODA, staff = 9 }
end

local probes, n = {}, 0
-- case(kind, inject, during, after): inject at the slot's start; probe at +2 min (or `at`)
-- expecting `during`, and at +20 min expecting `after` (default "ok").
local function case(name, inject, during, opts)
  opts = opts or {}
  local slot = time("2017-11-13 09:00") + n * duration("30m")
  n = n + 1
  local p = { name = name }
  probes[#probes + 1] = p
  at(slot, function() p.fault = inject() end)
  at(slot + (opts.probe_at or duration("2m")), function() p.during = (opts.probe or ask)() end)
  at(slot + duration("20m"), function() p.after = (opts.probe_after or opts.probe or ask)() end)
  expect(name .. " takes effect (" .. during .. ")", function(r)
    local got = outcome[p.during]
    local ok, why
    if opts.check then ok, why = opts.check(p, got, r) else ok, why = got == during, tostring(got) end
    -- a service failure is charged to the fault that caused it (its cause), not to the slot
    local failure = got == "timeout" or got == "unreachable" or got == "integrity" or got == "server_error"
    if ok and failure and type(p.fault) == "table" then
      local f = r.faults[p.fault.id]
      ok = f.failed >= 1 and f.tenants >= 1
      why = why .. "; charged to it: " .. f.failed .. " failure(s), " .. f.tenants .. " tenant(s) cut off"
    end
    return ok, why
  end)
  expect(name .. " ends and service returns", function()
    return outcome[p.after] == (opts.after or "ok"), tostring(outcome[p.after])
  end)
end

local ten = { duration = "10m" }
case("crash", function() return fault.crash("east", ten) end, "timeout")
case("site_down", function() return fault.site_down("east", ten) end, "timeout")
case("link_cut", function() return fault.link_cut("east.ifs", "nws", ten) end, "unreachable")
case("partition", function() return fault.partition({ "east.ifs", "pension.ifs" }, { "nws" }, ten) end, "unreachable")
case("degrade", function() return fault.degrade("east.ifs", "nws", { latency = "90s", duration = "10m" }) end, "timeout")
case("flap", function() return fault.flap("east.ifs", "nws", { period = "20m", duration = "10m" }) end, "unreachable")
case("nws_down", function() return fault.nws_down(ten) end, "timeout")
case("nws_slow", function() return fault.nws_slow { delay = "70s", duration = "10m" } end, "timeout")
case("ifs_down", function() return fault.ifs_down("east", ten) end, "timeout")
case("key_expiry", function() return fault.key_expiry("east", ten) end, "integrity")
case("wrong_key", function() return fault.wrong_key("east.ifs", ten) end, "integrity")
case("disk_slow", function() return fault.disk_slow("east", { delay = "90s", duration = "10m" }) end, "timeout")
-- corrupted rows are detected by their checksum and repaired from the west site's copy
case("corrupt_replica", function() return fault.corrupt_replica("east", { count = 5000, lg = CHIYODA }) end, "ok (repaired)",
  { check = function(p, got, r) return got == "ok" and r.failover.repairs_done > 0, tostring(got) .. ", repairs " .. r.failover.repairs_done end })
local k = 0
local function register()
  k = k + 1
  return register_replica(CHIYODA, { addressee = before, item = "TM99000000000005", record_id = "DF-" .. k,
                                     payload = { n = k } })
end
case("disk_full", function() return fault.disk_full("east", ten) end, "server_error", { probe = register })
-- every message over the link twice: the inquiry is answered once, the second answer ignored
case("duplicate", function() return fault.duplicate("west.ifs", "nws", { rate = 1, duration = "10m" }) end, "ok, twice",
  { check = function(p, got, r) return got == "ok" and r.late_answers > 0, tostring(got) .. ", late answers " .. r.late_answers end })
case("reorder", function() return fault.reorder("west.ifs", "nws", { rate = 1, delay = "2s", duration = "10m" }) end, "ok, later",
  { check = function(p, got) return got == "ok" and latency[p.during] > duration("100ms"), tostring(got) .. " in " .. fmt_duration(latency[p.during] or 0) end })
-- a bit error on the link damages the inquiry on its way to the NWS (both directions are
-- affected): the receiver's integrity check discards it, so the inquiry times out, counted
-- and charged to the fault; never a damaged code acted on
local function discarded(p, got, r)
  return got == "timeout" and r.damaged_discarded > 0, tostring(got) .. ", " .. r.damaged_discarded .. " discarded"
end
case("corrupt", function() return fault.corrupt("nws", "west.ifs", { rate = 1, duration = "10m" }) end, "timeout",
  { check = discarded })
-- on the provider's side likewise: the inquiry or its sealed answer is discarded, never a
-- wrong answer
case("corrupt (provider side)", function() return fault.corrupt("nws", "east.ifs", { rate = 1, duration = "10m" }) end,
  "timeout", { check = discarded })

-- key rotation mid-flight: the inquirer's interface system (west.ifs) gets a new key pair
-- after Chiyoda's side sealed the answer for the old one and before it arrives. Without a
-- grace period the answer fails to open; with one it opens.
local MID = duration("26ms")   -- sealed at about +20 ms, opened at about +30 ms (small.lua's latencies)
case("key_rotation", function() return true end, "integrity",
  { probe = function() local f = ask(); after(MID, function() fault.key_rotation("west", { grace = 0 }) end) return f end,
    probe_after = ask })
case("key_rotation with grace", function() return true end, "ok",
  { probe = function() local f = ask(); after(MID, function() fault.key_rotation("west", { grace = "1m" }) end) return f end,
    probe_after = ask })

expect("every flow ended exactly once", function(r) return r.invariants["every flow ends exactly once"] end)
expect("every fault is listed", function(r)
  return #r.faults >= 17, #r.faults .. " faults"
end)
