-- scripts/disasters/ifs_key_expiry.lua - the certificate of the east site's interface system
-- expires at midnight and nobody notices until the first inquiries of the morning fail; the
-- operators renew it at 09:30.
--
--   renkei run topologies/japan.lua scripts/disasters/ifs_key_expiry.lua
--
-- What it shows: no session can be set up with east.ifs: provisions to and from the east
-- site's tenants fail to seal or open and end as integrity errors (real cryptography: the
-- failure is an authentication failure, not a flag), while west-to-west traffic is
-- unaffected; the nightly batch at 02:00 (replicas never cross an interface system) is
-- unaffected; everything works again after the renewal.
local scale = param("day_scale", 1)
start "2017-11-13 22:00"
finish "2017-11-14 12:00"
workload { inquiries_per_day = 125000 * scale, business_hours = { "08:30", "17:15" } }

at("2017-11-14 00:00", function() fault.key_expiry("east.ifs", { duration = "9h30m" }) end)

local after_renewal = 0
on_flow_end(function(ev)
  if ev.kind == "inquiry" and ev.outcome == "ok" and now() > time("2017-11-14 09:31") then
    after_renewal = after_renewal + 1
  end
end)
expect("inquiries touching the east site failed as integrity errors in the morning", function(r)
  local n = r.faults[1].failed_by.inquiry.integrity or 0
  return n > 0, n .. " integrity errors"
end)
expect("the nightly replica batch was not affected", function(r)
  return (r.flows.replica.integrity or 0) == 0 and r.flows.replica.ok > 0
end)
expect("inquiries succeed again after the renewal", function() return after_renewal > 0, after_renewal end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
