-- tests/lua/fault_causes.lua - what each fault costs is charged by cause (issue 12, defects 6
-- and 7), on topologies/small.lua: 大阪市 (271004) is cut off from both sites for two hours
-- while west's disk is slow (200 ms: nothing times out for it) and a 1 ms degradation of a
-- link takes nothing down; at 13:00 福岡市's (401307) own systems go down for good. Every
-- service failure must be charged to the fault that caused it (none left uncharged), the slow
-- disk and the harmless degradation charged nothing and cutting off no tenant (no RTO), the
-- partition cutting off 大阪市 and seeing it serve again, and the crash's tenant never
-- serving again ("never", so no maximum). tests/cli_faults.sh asserts on summary.json.
failover_settings { promote = "manual" }
workload { inquiries_per_day = 40000, business_hours = { "08:30", "17:15" }, replica_updates_per_day = 20000 }
finish "2017-11-13 17:00"

at("2017-11-13 10:00", function()
  fault.partition({ "271004" }, { "west", "east" }, { duration = "2h" })
  fault.disk_slow("west", { delay = "200ms", duration = "2h" })
  fault.degrade("east.ifs", "nws", { latency = "1ms", duration = "2h" })
end)
at("2017-11-13 13:00", function() fault.crash("401307") end)
