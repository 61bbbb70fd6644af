-- A nemesis run that fails on purpose (an expectation no disaster keeps): its replay command
-- must reproduce the same failure and the same trace hash.
workload { inquiries_per_day = 2000, business_hours = { "08:30", "17:15" } }
finish "2017-11-13 18:00"
fault.nemesis { every = "30m", duration = "1d", faults = {
  { kind = "crash", target = nodes_where { kind = "lg" }, duration = "20m" },
  { kind = "nws_slow", delay = "90s", duration = "10m" } } }
expect("no inquiry timed out", function(r) return r.flows.inquiry.timeout == 0, r.flows.inquiry.timeout .. " timed out" end)
