-- scripts/rollout/national_2017.lua - the onboarding of Japan's 1,788 local governments to
-- the information-linkage network in 2016-2017, as far as the plan is public, rehearsed on
-- the national topology: who is late, why, what it does to the network, and the odds of
-- meeting trial operation (2017-07-18) and full operation (2017-11-13).
--
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua --set resident_scale=0.00001
--   renkei run topologies/japan.lua scripts/rollout/national_2017.lua --set resident_scale=0.00001 --runs 200 --out out/rollout
--   ./dev rollout --runs 200                      (the same, built first)
--
-- resident_scale=0.00001 gives every local government one or a few residents: enough for
-- its connection tests (real inquiries through its platform site, the interface systems and
-- the NWS to a test partner), and the topology loads in a tenth of a second rather than
-- three. The what-ifs beside this file load it and change one thing.
--
-- REAL (public): My Number use began in January 2016; the information-provision network
-- system's trial operation with local governments began on 2017-07-18 and full operation on
-- 2017-11-13; the local governments' intermediate servers run at two platform sites (east,
-- west) run for them by J-LIS; each local government signed up for the platform, chose its
-- test partners and settings, registered its initial data, tested connections with other
-- bodies (inter-agency tests), prepared production, carried out its specific personal
-- information protection assessment (特定個人情報保護評価) and passed its ordinances, and
-- followed the data standard layout (データ標準レイアウト), revised yearly in summer with
-- smaller revisions in between; prefectures coordinated their municipalities.
-- ASSUMED (not public, or not in that detail): every duration below (business days, with the
-- spread a project manager would give), every date of an interim layout revision and of the
-- vendors' test environments, the waves (the real onboarding went by schedules agreed per
-- prefecture; here by kind and size), the test-slot and support-staff capacities, the redo
-- risks, and that one inquiry a day to the pension service stands for a test day.
-- Change any of them here and rerun: the summary shows the effect, --runs the odds.
--
-- What it shows (with these assumptions): the inter-agency tests are capacity-bound (test
-- slots at each site) and rarely all done by the end of fiscal 2016; trial operation is
-- usually met with a few weeks to spare, and what decides it is the slowest body's
-- initial-stage work (the Monte Carlo ranks "longest:initial_setup" first) after the
-- vendors' test environments; full operation is almost always met, fixed by the length of
-- the trial.

start "2016-01-04 08:30"
finish "2018-03-30 17:15"                  -- the end of fiscal 2017

schedule { critical = "full operation" }

-- The platform sites' failover (failover_settings, scripts/README.md "Disasters and
-- failover"): by default they heartbeat each other and the operations centre every 5 s and
-- ship their logs every 2 s: over two simulated years a hundred million messages that no
-- schedule can see. ASSUMED here: hourly heartbeats, so a lost site is detected after 4 h
-- (its tenants then fail over to the other site), and logs shipped every 10 minutes.
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m" }

-- External events (ASSUMED dates; "late" is how many business days they may slip).
external { name = "layout_2016", date = "2016-07-29", late = dist.triangular(0, 0, 15) }        -- yearly revision
external { name = "vendor_test_env", date = param("vendor_test_env", "2016-08-01"),
           late = dist.triangular(0, 5, 20) }                                                   -- vendors' test environments
external { name = "layout_2017_01", date = "2017-01-31", late = dist.triangular(0, 0, 10) }     -- interim revision
external { name = "layout_2017", date = "2017-06-30", late = dist.triangular(0, 0, 10) }        -- yearly revision

-- Capacities (ASSUMED): connection-test slots per platform site and business day (east hosts
-- about 1,060 bodies, west about 730), and the support staff each prefecture lends its
-- municipalities for the settings work.
capacity { name = "test_slots", per = "site", daily = true,
           units = { default = param("west_test_slots", 50), east = param("east_test_slots", 70) } }
capacity { name = "support_staff", per = "prefecture",
           units = { default = 5, ["01"] = 12, ["13"] = 8, ["20"] = 8, ["07"] = 6, ["40"] = 6 } }

-- Waves (ASSUMED): prefectures first, then municipalities by size (the data's populations).
wave { name = "prefectures", kind = "prefecture" }
wave { name = "large", population = { min = 100000 } }
wave { name = "medium", population = { min = 50000 }, start = "2016-02-01" }
wave { name = "small", start = "2016-04-01" }      -- the rest, from the new fiscal year's budget

local tri, logn = dist.triangular, dist.lognormal

-- Preparation
phase { name = "sign_up", duration = tri(5, 10, 25) }                          -- platform sign-up
phase { name = "connection_application", duration = tri(5, 10, 25), after = "sign_up" }
phase { name = "delegation_settings", duration = tri(3, 5, 12), after = "sign_up",
        uses = "support_staff" }                                               -- with the prefecture's help
phase { name = "test_environment", duration = tri(10, 15, 35), after = { "sign_up", "vendor_test_env" } }
phase { name = "test_partners", duration = tri(2, 5, 10), after = "delegation_settings" }
phase { name = "coordination", scope = "prefecture", duration = tri(10, 15, 30),
        not_before = "2016-06-01" }                                            -- the prefecture's test schedule
-- Alongside
phase { name = "privacy_assessment", duration = logn { median = 40, p90 = 65 }, after = "sign_up",
        risk = { redo = 0.05, duration = tri(10, 15, 30) } }                   -- third-party review sends it back
phase { name = "ordinance", duration = tri(20, 40, 90), not_before = "2016-06-01" } -- an assembly session
phase { name = "layout_2016_adoption", duration = tri(10, 15, 35), after = { "layout_2016", "sign_up" } }
phase { name = "layout_2017_01_adoption", duration = tri(3, 5, 12), after = "layout_2017_01" }
phase { name = "layout_2017_adoption", duration = tri(5, 10, 20), after = "layout_2017" }
-- Initial-stage work: bulk code acquisition and the first replicas
phase { name = "initial_setup", duration = logn { median = 20, p90 = 40 },
        after = { "test_environment", "layout_2016_adoption", "connection_application" } }
-- Inter-agency tests: real inquiries through the twin, one test day at a time
phase { name = "inter_agency_test", duration = tri(3, 5, 12),
        after = { "initial_setup", "test_partners", "coordination" },
        window = { "2016-10-03", "2017-03-31" },
        tests = { inquiries = 1, partner = "pension" },
        risk = { redo = 0.08, duration = tri(1, 2, 5) } }                      -- a defect found: test again
phase { name = "production_prep", duration = tri(20, 35, 70),
        after = { "inter_agency_test", "privacy_assessment", "ordinance", "layout_2017_01_adoption" } }
-- Trial operation from 2017-07-18 (about four months nationally); each body joins it when
-- its production preparation is done and runs its own trial inquiries for a while.
phase { name = "trial_operation", scope = "national", duration = 75, not_before = "2017-07-18" }
phase { name = "trial_run", duration = tri(10, 20, 40), after = "production_prep",
        not_before = "2017-07-18" }

milestone { name = "inter-agency tests done", target = "2017-03-31", after = "inter_agency_test" }
milestone { name = "trial operation", target = "2017-07-18", after = "production_prep" }
milestone { name = "full operation", target = "2017-11-13",
            after = { "trial_operation", "trial_run", "layout_2017_adoption" } }

-- Expectations that hold whatever the seed (the odds are Monte Carlo's business).
expect("every local government is in a wave", function(r) return r.schedule.members == 1788, r.schedule.members end)
expect("test slots and support staff were never exceeded", function(r)
  for _, cap in ipairs(r.schedule.capacity) do
    if cap.exceeded then return false, cap.name end
  end
  return true
end)
expect("every local government joined before the end of fiscal 2017", function(r)
  return r.schedule.live == 1788, r.schedule.live .. " joined"
end)
expect("every failed test inquiry cost its body a test day (slip cause: outage)", function(r)
  local t = r.schedule.test_inquiries
  return t.failed == r.schedule.slip_days.outage, t.failed .. " failed, " .. r.schedule.slip_days.outage .. " outage days"
end)
expect("every invariant of the network held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
