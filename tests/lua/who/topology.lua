-- tests/lua/who/topology.lua - topologies/small.lua with Tokyo prefecture (130001), for who_inquires.lua.
-- J-LIS, two platform sites with their interface systems, four municipalities and the
-- pension service. Each municipality reaches J-LIS by its own 住基ネット connection (lg{}
-- makes it, 10 ms). Latencies are assumptions (DESIGN.md §2: unknown real parameters are
-- scenario parameters).

start "2017-11-13 08:30"
finish "2017-11-13 17:15"

permissions(data "data/permissions.lua")
flow_settings { timeout = param("timeout", "60s"), key_rotation = param("key_rotation", "1d") }

local hub = nws { name = "nws" }
jlis { name = "jlis" }
link("jlis", hub, { latency = "5ms" })

local east = site { name = "east" }
local west = site { name = "west" }
link("east.ifs", hub, { latency = "4ms", bandwidth = "1Gbps" })
link("west.ifs", hub, { latency = "7ms", bandwidth = "1Gbps" })
link(east, west, { latency = "8ms", bandwidth = "10Gbps" })

lg { code = "131016", name = "千代田区", home = east, backup = west, population = 66680 }
lg { code = "141003", name = "横浜市",   home = east, backup = west, population = 3777491 }
lg { code = "271004", name = "大阪市",   home = west, backup = east, population = 2752412 }
lg { code = "401307", name = "福岡市",   home = west, backup = east, population = 1612392 }

agency { name = "pension", name_ja = "日本年金機構" }
link("pension.ifs", hub, { latency = "3ms" })

-- a prefecture has no residents of its own (population 0, as in japan.lua): its register is
-- a share of its municipalities' residents (here Chiyoda's), asked at where they live
lg { code = "130001", name = "東京都", home = east, backup = west, population = 0 }
residents { scale = param("resident_scale", 0.0005), moved = 0.3, prefecture_share = 0.2 }
