-- scripts/connect/vendor_disturbed.lua - a connection test that disturbs the outside system on
-- purpose, so that a vendor sees its error handling at work: the NWS slows down, the tenant's
-- platform site is lost and its tenant fails over to the backup site and back, and the
-- certificate of the interface system in front of the tenant expires. Load it after
-- vendor_plain.lua (the ordinary day it disturbs):
--
--   renkei run topologies/small.lua scripts/connect/vendor_plain.lua \
--       scripts/connect/vendor_disturbed.lua --connect 271004 --listen 8443 --out out/vendor
--
-- The timeline, from the session's start (every time and duration is multiplied by
-- --set disturb_scale=X, 1 by default, and so are the failover settings below: 0.1 plays
-- the whole test in about two minutes):
--   +2m   the NWS is slow for 3m: every message waits 4s there. Inquiries still succeed,
--         later (their latency shows it); code acquisitions through J-LIS too.
--   +6m   the tenant's home site is lost for 6m (power). Until the backup site is promoted
--         (detect: 30s) every request answers 503 tenant_unavailable; operations in flight
--         end as timeout or unreachable. After the promotion inquiries work again; writes
--         (registrations, updates, code acquisitions) end as unreachable for as long as the
--         lost site is away, because mirroring is synchronous: a write is acknowledged only
--         once both sites hold it (no accepted registration can be lost). The site returns,
--         resynchronises, and the tenant fails back home after 2m, by itself.
--   +16m  the certificate of the interface system in front of the tenant expires for 2m:
--         inquiries end as integrity errors (the provision cannot be opened), registrations
--         are unaffected (they never cross the interface system).
-- Each disturbance is a "fault" record in the trace and in summary.json; the expectations say
-- the tenant was served again and no acknowledged write was lost.
assert(CONNECT_LG, "vendor_disturbed: load scripts/connect/vendor_plain.lua before it")
local lg = find(CONNECT_LG)
local scale = param("disturb_scale", 1)
local function d(text) return math.floor(duration(text) * scale) end
local t0 = now()

failover_settings { mirroring = "sync", heartbeat = d("5s"), lease = d("15s"), detect = d("30s"),
                    batch = d("2s"), retransmit = d("1s"), failback = "auto", failback_delay = d("2m") }

local home = serving(lg)
at(t0 + d("2m"), function()
  log("connection test: the NWS slows down (every message waits " .. fmt_duration(d("4s")) .. ")")
  fault.nws_slow { delay = d("4s"), duration = d("3m") }
end)
at(t0 + d("6m"), function()
  log("connection test: site " .. home.name .. " is lost; its tenants fail over")
  fault.site_down(home, { duration = d("6m") })
end)
at(t0 + d("16m"), function()
  log("connection test: the certificate of " .. serving(lg).name .. ".ifs expires")
  fault.key_expiry(serving(lg).name .. ".ifs", { duration = d("2m") })
end)

expect("the tenant under test was served again after its site was lost", function(r)
  for _, f in ipairs(r.faults) do
    if f.kind == "site_down" then return f.restored ~= nil, f.restored and fmt_duration(f.restored) or "never" end
  end
  return true   -- the session ended before the site was lost
end)
expect("no acknowledged write lost", function(r) return r.rpo_writes == 0, r.rpo_writes .. " lost" end)
