-- Split brain refused, on topologies/small.lua. (1) Only the link between the sites is cut:
-- west stops hearing east and asks to be promoted, but ops still hears east: refused, again
-- and again, and an operator's promotion is refused too. (2) East is cut off from both west
-- and ops while alive: it fences itself within the lease, and only then may west serve its
-- tenants. (3) When the partition heals, east stands by, resynchronises and fails back.
workload { inquiries_per_day = 3000, replica_updates_per_day = 10000, business_hours = { "08:30", "17:15" } }
finish "2017-11-13 14:00"

local operator_says
at("09:00", function() fault.link_cut("east", "west", { duration = "10m" }) end)
at("09:05", function()
  local ok, why = operator.promote("east")
  operator_says = { ok = ok, why = why }
end)
expect("an operator's promotion of a live site is refused, with the reason", function()
  return operator_says and operator_says.ok == false and operator_says.why:find("alive") ~= nil,
         operator_says and tostring(operator_says.why)
end)

local isolated
at("10:00", function() isolated = fault.partition({ "east" }, { "west", "ops" }, { duration = "20m" }) end)
local served_at_1001, served_at_1010
at("10:00:10", function() served_at_1001 = serving("131016").name end)
at("10:10", function() served_at_1010 = serving("131016").name end)
expect("before the fence, Chiyoda is still east's", function() return served_at_1001 == "east", served_at_1001 end)
expect("after east fenced itself, west serves Chiyoda", function() return served_at_1010 == "west", served_at_1010 end)
at("11:00", function() operator.failback("east") end)
local back
at("11:01", function() back = serving("131016").name end)
expect("failed back to east after the partition healed", function() return back == "east", back end)

expect("promotions were refused while east was alive", function(r)
  return r.failover.refused_promotions >= 2, r.failover.refused_promotions .. " refused"
end)
expect("exactly one promotion and one failback", function(r)
  return r.failover.promotions == 1 and r.failover.failbacks == 1, json_encode(r.failover)
end)
expect("never two sites serving one tenant", function(r) return r.split_brain == 0, r.split_brain end)
expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
