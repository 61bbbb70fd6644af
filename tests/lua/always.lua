start "2017-11-13 09:00"
finish "2h"
local a = node { name = "a" }
at("10:00", function() a:crash("test") end)
always("a stays up", function() return a:is_up(), "a is down" end, { every = "10m" })
