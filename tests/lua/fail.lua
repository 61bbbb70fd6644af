start "2017-11-13 09:00"
finish "1h"
node { name = "a" }
expect("impossible", function(r) return r.events > 1000000, "only " .. r.events .. " events" end)
