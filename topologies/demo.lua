-- topologies/demo.lua - a small relay network that shows the engine at work.
--
-- A hub routes inquiries between local bodies; each local body reaches the hub through its
-- platform site (east or west). The national topology with the real domain comes with the
-- national flow; this one uses only script nodes, so every step is visible in Lua.

start "2017-11-13 08:30"
finish "2017-11-13 17:30"

local bodies = {
  { "131016", "千代田区", "east" }, { "011002", "札幌市", "east" },
  { "041009", "仙台市", "east" },   { "141003", "横浜市", "east" },
  { "151009", "新潟市", "east" },   { "221007", "静岡市", "east" },
  { "231002", "名古屋市", "west" }, { "271004", "大阪市", "west" },
  { "261009", "京都市", "west" },   { "341002", "広島市", "west" },
  { "401307", "福岡市", "west" },   { "471003", "那覇市", "west" },
}

-- The hub: forwards an inquiry to the site of its target, and a provision back to the site
-- of the body that asked.
local site_of = {}
node {
  name = "hub",
  on_message = function(self, m)
    local b = m.body
    local to = (m.type == "inquiry") and b.target or b.origin
    self:send(site_of[to], m.type, b, { size = m.size })
  end,
}

-- A platform site: relays between its local bodies and the hub.
local function site(name)
  return node {
    name = name,
    on_message = function(self, m)
      local b = m.body
      if m.from == "hub" then
        local to = (m.type == "inquiry") and b.target or b.origin
        self:send(to, m.type, b, { size = m.size })
      else
        self:send("hub", m.type, b, { size = m.size })
      end
    end,
  }
end
site "east"
site "west"
link("east", "hub", { latency = "4ms", bandwidth = "1Gbps" })
link("west", "hub", { latency = "6ms", bandwidth = "1Gbps" })
link("east", "west", { latency = "8ms", bandwidth = "10Gbps" })

-- A local body: answers inquiries about its residents, and counts its own answered ones.
for _, b in ipairs(bodies) do
  local code, name, home = b[1], b[2], b[3]
  site_of[code] = home
  node {
    name = code,
    label = name,
    asked = 0, answered = 0,
    on_message = function(self, m)
      if m.type == "inquiry" then
        self:send(home, "provision", { origin = m.body.origin, target = code, n = m.body.n },
                  { size = 2048 })
      elseif m.type == "provision" then
        self.answered = self.answered + 1
      end
    end,
  }
  link(code, home, { latency = "2ms", jitter = "1ms", bandwidth = "100Mbps", loss = 0.001 })
end

BODIES = bodies
