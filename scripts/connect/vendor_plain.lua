-- scripts/connect/vendor_plain.lua - a connection test on an ordinary business day: one local
-- government's real existing system is connected to its intermediate server, and behind that
-- tenant the whole network is simulated and at work.
--
--   renkei run topologies/small.lua scripts/connect/vendor_plain.lua \
--       --connect 271004 --listen 8443 --out out/vendor
--
-- renkei prints the API's address and access token; the reference is docs/connect-api.md.
-- The run is paced in real time (--speed X to change) until POST /connect/v1/session/end,
-- Ctrl-C or the end of the day; --out gets summary.json and report.html with the conformance
-- report, and connect_session.jsonl, which `--replay-session` replays exactly.
--
-- What the outside system meets:
--   * its tenant as it was the day before: every resident has an agency code and the
--     resident-record (TM00000000000001) and local-tax (TM00000000000002) replicas;
--   * the rest of the country at work (`workload`, --set inquiries_per_day=N): other local
--     governments ask this one about people who moved away from it, so its provision
--     records fill (GET /connect/v1/provisions); one such inquiry is also made every
--     `provision_every` (30 s) so that there always are some;
--   * fixture replicas: the previous municipality of each of the first ten residents who
--     moved in (GET /connect/v1/fixtures lists them) holds this year's local-tax figures for
--     them, published from today, in the state of the day before (seed_replica: in place
--     before the listener opens, so even the first request sees them): an inquiry about one of them
--     (procedure local_tax_assessment or child_allowance, item TM00000000000002, provider the
--     municipality it came from) is answered with exactly this payload, the local-tax layout's
--     example (layout_example) with a note:
--       { "item": "TM00000000000002", "tax_year": 2017, "taxable_income": 3456000,
--         "municipal_tax": 207360, "prefectural_tax": 138240, "note": "接続試験用の副本" }
--
-- Without --connect (`renkei check`, or a dry run) it drives nothing and names the local
-- government with --set lg=CODE (default 271004, Osaka City).
local lg = connected() or find(param("lg", "271004"))
assert(lg, "vendor_plain: no local government " .. param("lg", "271004") .. " in this topology")
CONNECT_LG = lg.name   -- for scenarios loaded after this one (vendor_disturbed.lua)

workload { inquiries_per_day = param("inquiries_per_day", 20000), business_hours = { "08:30", "17:15" },
           new_residents_per_day = 0, replica_batch = false }

-- the fixture payload, made from the local-tax layout (version 1, its example values:
-- docs/connect-layouts.md), so that it is what a registration of that layout would hold
local FIXTURE = layout_example("TM00000000000002", 1)
FIXTURE.note = "接続試験用の副本"

-- the first ten residents who moved in: their previous municipality holds the fixture
local movers = {}
for a = 1, 100000 do
  local ok, r = pcall(resident, lg, a)
  if not ok then break end
  if r.current and r.moved_from then
    movers[#movers + 1] = { addressee = a, from = r.moved_from, there = r.moved_from_addressee }
    if #movers == 10 then break end
  end
end

for i, m in ipairs(movers) do
  seed_replica(m.from, { addressee = m.there, item = "TM00000000000002",
                         record_id = "fixture-" .. lg.name .. "-" .. i, payload = FIXTURE })
end


-- someone elsewhere who moved away from this local government: asked about regularly
local asker, asked
for _, other in ipairs(nodes_where { kind = "lg" }) do
  if other.name ~= lg.name then
    for a = 1, 100000 do
      local ok, r = pcall(resident, other, a)
      if not ok then break end
      if r.current and r.moved_from and r.moved_from.name == lg.name then asker, asked = other, a break end
    end
  end
  if asker then break end
end
if asker then
  every(param("provision_every", "30s"), function()
    inquire { from = asker, addressee = asked, procedure = "local_tax_assessment", provider = lg, staff = 1 }
  end, { first = "2s" })
end

expect("every invariant held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
