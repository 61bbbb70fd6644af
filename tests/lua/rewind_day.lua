-- tests/lua/rewind_day.lua - a light working day with failover between the sites, for the
-- rewind tests (tests/cli_rewind.sh): faults are injected from the API, not scripted here.
workload { inquiries_per_day = 8000, business_hours = { "08:30", "17:15" } }
failover_settings { mirroring = "sync" }
