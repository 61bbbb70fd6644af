-- tests/lua/fault_by_name.lua - fault targets named as people name them (issue 16): 大阪市 (a
-- local government's name) and a list of them, as the same faults by code:
-- tests/cli_faults.sh compares the traces.
workload { inquiries_per_day = 4000, business_hours = { "08:30", "17:15" } }
local by = param("by", "name")
at("09:00", function()
  fault.crash(by == "name" and "大阪市" or "271004", { duration = "30m" })
  fault.partition(by == "name" and { "横浜市", "千代田区" } or { "141003", "131016" }, "east", { duration = "20m" })
end)
