-- Nemesis for a simulated week on topologies/small.lua: faults drawn at random from a weighted
-- catalogue (reproducible from the seed). Whatever happens, every flow ends exactly once,
-- no tenant is served by two sites at once and no acknowledged write is lost (synchronous).
-- Run across many seeds by tests/cli_faults.sh.
workload { inquiries_per_day = 2000, replica_updates_per_day = 4000, business_hours = { "08:30", "17:15" } }
finish "2017-11-20 08:00"
local lgs = nodes_where { kind = "lg" }
local sites = nodes_where { kind = "site" }
local ifs = nodes_where { kind = "ifs" }
fault.nemesis {
  every = param("every", "40m"), duration = "7d",
  faults = {
    { kind = "crash", target = lgs, weight = 3, duration = "15m" },
    { kind = "site_down", target = sites, weight = 1, duration = "45m" },
    { kind = "crash", target = sites, weight = 1, duration = "20s" },   -- back before detection
    { kind = "link_cut", a = lgs, b = sites, weight = 2, duration = "10m" },
    { kind = "partition", a = { "east" }, b = { "west", "ops" }, weight = 1, duration = "5m" },
    { kind = "degrade", a = ifs, b = { "nws" }, weight = 1, duration = "20m", latency = "200ms", loss = 0.05 },
    { kind = "flap", a = ifs, b = { "nws" }, weight = 1, duration = "10m", period = "1m" },
    { kind = "nws_slow", weight = 1, duration = "10m", delay = "3s" },
    { kind = "nws_down", weight = 1, duration = "5m" },
    { kind = "key_expiry", target = ifs, weight = 1, duration = "10m" },
    { kind = "key_rotation", target = ifs, weight = 1, grace = "10s" },
    { kind = "disk_slow", target = sites, weight = 1, duration = "10m", delay = "500ms" },
    { kind = "disk_full", target = sites, weight = 1, duration = "5m" },
    { kind = "corrupt_replica", target = sites, weight = 1, count = 20 },
    { kind = "duplicate", a = ifs, b = { "nws" }, weight = 1, duration = "10m", rate = 0.3 },
    { kind = "reorder", a = ifs, b = { "nws" }, weight = 1, duration = "10m", rate = 0.3, delay = "1s" },
    { kind = "corrupt", a = ifs, b = { "nws" }, weight = 1, duration = "10m", rate = 0.05 },
  },
}
-- A second fault on a site already in trouble can leave its tenants waiting for an
-- operator; a daily operator round fails back what is resynchronised.
every("1d", function() operator.failback("east"); operator.failback("west") end, { first = "2017-11-14 07:00" })

expect("the nemesis struck", function(r) return #r.faults >= 100, #r.faults .. " faults" end)
expect("every flow ended exactly once", function(r) return r.invariants["every flow ends exactly once"] end)
expect("never two sites serving one tenant", function(r) return r.split_brain == 0, r.split_brain end)
expect("no acknowledged write lost", function(r) return r.invariants["acknowledged writes survive a failover"] end)
expect("serial numbers reconcile", function(r)
  return r.invariants["serial numbers reconcile (inquirer within NWS within provider)"]
end)
