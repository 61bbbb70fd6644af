-- scripts/rollout/release_slip.lua - what-if, one command per release: one version of a
-- release comes late (or early), loaded after a plan that declares it, and compared with the
-- plan in the summary's what-if table ("what_if" in summary.json: each milestone on the plan
-- and with the slip, planned durations both; the run itself draws as usual, and --runs gives
-- the odds with the slip).
--
--   renkei run topologies/japan.lua scripts/rollout/national_2014.lua scripts/rollout/release_slip.lua \
--       --set resident_scale=0.00001 --set release="if_spec 1.2" --set slip=40      (two months late)
--   ... --set release="test_tool 1.0" --set actual=2015-10-01                       (the tool in October)
--
-- release: a version, "<release> <version>" (or any external event of the plan); slip: business
-- days late (negative: early; default 40, about two months); actual: the date it comes instead.
-- Versions after it cannot come before it: they are held back too (see "Releases and gates"
-- in scripts/README.md).
local name = param("release")
local actual = param("actual", "")
if actual ~= "" then
  revise(name, { actual = actual })
else
  revise(name, { slip = param("slip", 40) })
end
