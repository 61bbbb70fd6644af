-- two nodes ping each other; every expectation holds
start "2017-11-13 09:00"
finish "1h"
local a = node { name = "a", got = 0,
  on_start = function(self) self:send("b", "ping", { n = 1 }) end,
  on_message = function(self, m) self.got = self.got + 1 end }
node { name = "b", on_message = function(self, m) self:send(m.from, "pong", { n = m.body.n }) end }
link("a", "b", { latency = "5ms" })
expect("a got its pong", function(r) return a.got == 1, "got " .. a.got end)
expect("two messages", function(r) return r.delivered == 2 end)
