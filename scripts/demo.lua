-- scripts/demo.lua - a working day on the demo network: inquiries between local bodies,
-- the east site lost for 20 minutes at noon, and what must hold at the end.

local rate = param("inquiries_per_hour", 30)   -- per local body; --set inquiries_per_hour=60

for _, b in ipairs(BODIES) do
  local me = find(b[1])
  local n = 0
  local function next_inquiry()
    -- exponential gaps: a Poisson stream of inquiries from this body
    local gap = math.floor(me:exponential(3600e6 / rate))
    me:after(gap, function()
      n = n + 1
      local target = BODIES[me:random(#BODIES)][1]
      if target ~= b[1] then
        me.asked = me.asked + 1
        me:send(b[3], "inquiry", { origin = b[1], target = target, n = n }, { size = 1024 })
      end
      next_inquiry()
    end)
  end
  next_inquiry()
end

at("12:00", function()
  log("east site lost")
  find("east"):crash("power failure")
  after("20m", function()
    find("east"):recover("power restored")
    log("east site back")
  end)
end)

local function totals()
  local asked, answered = 0, 0
  for _, b in ipairs(BODIES) do
    local me = find(b[1])
    asked, answered = asked + me.asked, answered + me.answered
  end
  return asked, answered
end

every("1h", function()
  local asked, answered = totals()
  log(string.format("%d inquiries, %d answered", asked, answered))
end)

always("the hub stays up", function() return find("hub"):is_up() end, { every = "5m" })
expect("most inquiries are answered", function(r)
  local asked, answered = totals()
  return answered >= 0.9 * asked, string.format("%d of %d answered", answered, asked)
end)
expect("losses happen only on the east site or by line loss", function(r)
  return r.drops.no_link == 0, r.drops.no_link .. " messages had no link"
end)
