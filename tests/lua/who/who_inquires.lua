-- tests/lua/who/who_inquires.lua - who inquires in the workload (issue 13, item 7): each class
-- of inquirer asks at its share of the permission table's weight; agencies inquire too; a
-- prefecture-only procedure (inquirer_lg_kind = "prefecture") comes only from a prefecture.
-- Run after who/topology.lua (small.lua with Tokyo prefecture), beside data/permissions.lua.
local PER_DAY = 20000
workload { inquiries_per_day = PER_DAY, new_residents_per_day = 0, replica_batch = false }
local P = data "data/permissions.lua"
local total, pension, pref, pref_weight = 0, 0, {}, 0
for _, p in ipairs(P.procedures) do
  total = total + p.weight
  -- pension's procedures whose provider is in this topology (no employment service here)
  if p.inquirer == "pension" and p.provider == "lg" then pension = pension + p.weight end
  if p.inquirer_lg_kind == "prefecture" then pref[#pref + 1] = p.id; pref_weight = pref_weight + p.weight end
end
local by, outcome, pref_ok = {}, {}, 0
on_flow_end(function(ev)   -- one handler: a second on_flow_end replaces the first
  if ev.kind == "inquiry" then by[ev.body] = (by[ev.body] or 0) + 1 end
  if ev.kind == "inquiry" and ev.body == "130001" and ev.outcome == "ok" then pref_ok = pref_ok + 1 end
  outcome[ev.flow] = ev.outcome
end)
-- Tokyo is the only prefecture: it asks the prefectures' whole share of the day (before, with
-- no register of its own, it found nobody to ask about); its people live in Chiyoda, which
-- answers from their local-tax replicas
expect("Tokyo prefecture inquires at the prefectures' weight (within 5 standard errors)", function()
  local n, exp = by["130001"] or 0, PER_DAY * pref_weight / total
  return math.abs(n - exp) <= 5 * math.sqrt(exp), string.format("%d, expected %.0f", n, exp)
end)
expect("Tokyo's inquiries are answered", function()
  local n = by["130001"] or 0
  return n > 0 and pref_ok >= 0.9 * n, string.format("%d of %d ok", pref_ok, n)
end)
expect("Tokyo's register points at where its people live", function()
  local r = resident("130001", 1)
  return r.current == false and r.lives_in == find("131016") and r.moved_from == nil, tostring(r.lives_in)
end)
expect("pension inquires at its weight (within 5 standard errors)", function()
  local n, exp = by["pension"] or 0, PER_DAY * pension / total
  return math.abs(n - exp) <= 5 * math.sqrt(exp), string.format("%d, expected %.0f", n, exp)
end)
expect("Tokyo prefecture inquires", function() return (by["130001"] or 0) > 0, tostring(by["130001"]) end)
expect("no municipality asks a prefecture-only procedure (the NWS would refuse it)", function(r)
  return (r.flows.inquiry.not_permitted or 0) == 1, tostring(r.flows.inquiry.not_permitted)
end)
-- a municipality trying one anyway is refused by the NWS
local tried
at("16:00", function()
  tried = inquire { from = "131016", addressee = 1, procedure = pref[1], provider = "141003", staff = 1 }
end)
expect("a municipality's prefecture-only inquiry is not permitted", function()
  return outcome[tried] == "not_permitted", tostring(outcome[tried])
end)
