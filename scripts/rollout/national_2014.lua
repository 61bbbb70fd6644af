-- scripts/rollout/national_2014.lua - the seed's own schedule, rehearsed from April 2014: the
-- chain of releases (documents, specs, software, the connection-test tool, the platform) on
-- which every local government's and its vendor's work depends, how their slips propagate,
-- the gates a body passes before it connects (its protection assessment, the connection-test
-- catalogue), J-LIS's platform (onboarding slots, upgrade nights), the NWS's comprehensive
-- operational test from July 2016, trial operation (2017-07-18) and full operation
-- (2017-11-13); with the readiness signals a project manager watches.
--
--   renkei run topologies/japan.lua scripts/rollout/national_2014.lua --set resident_scale=0.00001
--   renkei run topologies/japan.lua scripts/rollout/national_2014.lua --set resident_scale=0.00001 --runs 200
--   a what-if per release, compared with the plan in the summary's what-if table:
--   renkei run topologies/japan.lua scripts/rollout/national_2014.lua scripts/rollout/release_slip.lua \
--       --set resident_scale=0.00001 --set release="if_spec 1.2" --set slip=40
--
-- REAL (the seed deck, MIC, status of 2015-04-23): the intermediate-server software developed
-- centrally by MIC from January 2014, completion planned for the end of July 2015, delivered
-- to local governments through J-LIS's platform from December 2015; the platform's two sites
-- from the second half of FY2014, built and run by J-LIS; the system design document 0.1
-- (2014-05-30), 1.0 (2014-08-08), 1.1 (2014-11-28, reflecting the NWS external interface spec
-- 3.0), 1.2 (2015-02-27, the NWS spec 4.0 and the test policy), 1.3 (late May 2015, the
-- software's external interface spec 1.2); the software's external interface spec 0.5, 0.6,
-- 1.0, 1.1 (provided March 2015: every item of the data standard layout of February 2015),
-- 1.11 ahead of 1.2 (partial replica registration, publication dates) and 1.2 (the April 2015
-- data-standard update), revised as the layouts change; the examples of municipal responses
-- 0.5 and 1.0; the screen design (2015-03-30); the connection-test tool (late July 2015),
-- which every body uses to test its changed systems before it connects; the NWS's
-- comprehensive operational test from July 2016; the download rates of the documents by
-- prefecture (2015-04-14) as the ministry's readiness signal; the technical standard for
-- transmission over the NWS under public comment in May-June 2015. Also public: trial operation
-- 2017-07-18, full operation 2017-11-13; the protection assessment (特定個人情報保護評価) as a
-- condition of the NWS's provision.
-- ASSUMED (not in the seed): the dates of the versions it gives no date for (if_spec 0.5,
-- 0.6, 1.0, 1.11, 1.2, 1.3, 1.4; the examples; the NWS spec 3.0 and 4.0; the platform ready
-- for tenants on 2015-10-01; the data layout's revisions), how much each version changed,
-- how late each may come, every duration, the uptake lags, the catalogue's case ids (issue
-- 17's catalogue; its bundles are read by id), the gate's failure rate, the onboarding slots,
-- the upgrade nights (three hours from 22:00), the share of bodies connected that the
-- comprehensive test waits for (90 %), the waves and capacities of national_2017.lua.
-- Change any of them here and rerun.
--
-- What it shows (with these assumptions): the bodies cannot connect before the software is
-- delivered through the platform (December 2015), and then J-LIS sets up about 19 tenants a
-- business day, so the comprehensive test's entry (90 % connected) is planned for the end of
-- May 2016 and usually comes in July (P(2016-07-01) about 1 % over 200 runs); what moves it is
-- the software's delivery and the spec revision it waits for (if_spec 1.3): the sensitivity
-- table and the Monte Carlo both rank them first. A two-month slip of the spec 1.2 or the
-- connection-test tool in October costs the vendors rework and waiting, but the plan absorbs
-- it: they are done before their tenants' onboarding slots come. Trial and full operation are
-- met in nearly every run.

start "2014-04-01 08:30"
finish "2018-03-30 17:15"                  -- the end of fiscal 2017

schedule { critical = "full operation", operator = "J-LIS",
           sensitivity = param("sensitivity", 40),   -- each version 40 business days (two months) late, alone (0: none)
           as_of = { "2015-04-14", "2015-10-01", "2016-07-01", "2017-07-18" },   -- the seed's download-rate date, then milestones
           signals = { "sign_up", "initial_setup" } }

-- Hourly heartbeats over four years (national_2017.lua says why); an upgrade night of three
-- hours stays below the four hours after which a site's tenants would fail over.
failover_settings { heartbeat = "1h", lease = "2h", detect = "4h", batch = "10m" }

local tri, logn = dist.triangular, dist.lognormal
local uptake = tri(0, 5, 40)      -- business days from a version to a body's download

-- Releases: each version an external event "<release> <version>"; a version never lands
-- before the one it revises or what it is `after`. changed: the share of the release it
-- changed (rework = that share of the work done against the old version).
release { name = "nws_spec", title = "NWS external interface spec (情報提供NWS外部インターフェイス仕様書)",
          versions = { { "3.0", "2014-10-31" }, { "4.0", "2015-01-30", changed = 0.3 } } }
release { name = "design", title = "system design document (システム方式設計書)", uptake = uptake, versions = {
  { "0.1", "2014-05-30" },
  { "1.0", "2014-08-08", changed = 0.8 },
  { "1.1", "2014-11-28", changed = 0.2, after = "nws_spec 3.0" },
  { "1.2", "2015-02-27", changed = 0.2, after = "nws_spec 4.0" },
  { "1.3", "2015-05-29", changed = 0.05, after = "if_spec 1.2", late = tri(0, 5, 20) } } }
release { name = "data_layout", title = "data standard layout (データ標準レイアウト)", versions = {
  { "2015.02", "2015-02-27" },
  { "2015.04", "2015-04-30", changed = 0.1, late = tri(0, 0, 15) },
  { "2016", "2016-07-29", changed = 0.15, late = tri(0, 0, 15) },
  { "2017", "2017-06-30", changed = 0.1, late = tri(0, 0, 10) } } }
release { name = "if_spec", title = "software's external interface spec (外部インターフェイス仕様書)", uptake = uptake, versions = {
  { "0.5", "2014-07-31" },
  { "0.6", "2014-10-31", changed = 0.6 },
  { "1.0", "2014-12-26", changed = 0.5, after = "nws_spec 3.0" },
  { "1.1", "2015-03-31", changed = 0.3, after = { "nws_spec 4.0", "data_layout 2015.02" } },
  { "1.11", "2015-04-30", changed = 0.05, late = tri(0, 5, 20) },
  { "1.2", "2015-05-15", changed = 0.15, late = tri(0, 10, 40), after = "data_layout 2015.04" },
  { "1.3", "2015-11-30", changed = 0.1, late = tri(0, 10, 30) },
  { "1.4", "2016-08-31", changed = 0.1, late = tri(0, 10, 30), after = "data_layout 2016" } } }
release { name = "response_examples", title = "examples of municipal responses (地方公共団体の対応例)", uptake = uptake,
          versions = { { "0.5", "2014-09-30" }, { "1.0", "2015-03-31", changed = 0.5 } } }
release { name = "screen_design", title = "screen design of the terminals (ソフトウェア画面等設計書)", uptake = uptake,
          versions = { { "1.0", "2015-03-30" } } }
release { name = "test_tool", title = "connection-test tool (自治体中間サーバー接続試験ツール)", versions = {
  { "1.0", param("test_tool", "2015-07-31"), late = tri(0, 5, 30), after = "if_spec 1.2" } } }
release { name = "software", title = "intermediate-server software (自治体中間サーバー・ソフトウェア)",
          upgrade = { sites = { "east", "west" }, at = "22:00", duration = param("upgrade", "3h") }, versions = {
  { "1.0", "2015-07-31", late = tri(0, 10, 40), after = "if_spec 1.2" },          -- completed
  { "1.1", "2015-12-01", changed = 0.1, late = tri(0, 10, 30), after = "if_spec 1.3" } } }   -- delivered through the platform
release { name = "transmission_standard", title = "technical standard for transmission over the NWS (送信の方法等に関する技術的基準)",
          uptake = uptake, versions = { { "0.9", "2015-05-01" },                   -- the draft, public comment May-June 2015
                                        { "1.0", "2015-07-31", changed = 0.1 } } }  -- ASSUMED: in force after the comments
release { name = "platform", title = "intermediate-server platform sites (自治体中間サーバー・プラットフォーム)",
          versions = { { "1.0", "2015-10-01", late = tri(0, 5, 30) } } }

-- The connection-test catalogue, by case id (docs/connect-cases.md; a body's evidence bundle,
-- the connect_evidence.json its vendor's session wrote, names these ids: give one with
-- catalogue = { evidence = { ["131016"] = "connect_evidence.json" } }).
connection_catalogue { "CT-00", "CT-01", "CT-02", "CT-03.TM00000000000001", "CT-03.TM00000000000002",
                       "CT-04.TM00000000000001", "CT-04.TM00000000000002", "CT-05.child_allowance", "CT-06",
                       "CT-07", "CT-08", "CT-09", "CT-10", "CT-11", "CT-12", "CT-13", "CT-14" }

-- Capacities: J-LIS's onboarding slots (tenants set up per site and business day), the
-- inter-agency test slots and the prefectures' support staff of national_2017.lua.
capacity { name = "onboarding", per = "site", daily = true,
           units = { default = param("west_onboarding", 8), east = param("east_onboarding", 11) } }
capacity { name = "test_slots", per = "site", daily = true, units = { default = 50, east = 70 } }
capacity { name = "support_staff", per = "prefecture",
           units = { default = 5, ["01"] = 12, ["13"] = 8, ["20"] = 8, ["07"] = 6, ["40"] = 6 } }

wave { name = "prefectures", kind = "prefecture" }
wave { name = "large", population = { min = 100000 } }
wave { name = "medium", population = { min = 50000 } }
wave { name = "small" }

-- The body's own work before it connects
phase { name = "privacy_assessment", duration = logn { median = 40, p90 = 80 }, not_before = "2014-10-01", pia = true,
        risk = { redo = 0.05, duration = tri(10, 15, 30) } }              -- the protection assessment: a gate
phase { name = "procurement", duration = tri(20, 40, 80), after = { "design 1.0", "if_spec 0.6" },
        not_before = "2014-10-01" }                                     -- the vendor contracted for the changes
phase { name = "vendor_changes", duration = tri(60, 90, 160), builds_on = "if_spec 1.1",
        after = { "procurement", "design 1.2", "response_examples 1.0" } }   -- existing systems changed
phase { name = "vendor_test", duration = tri(20, 40, 90), builds_on = "if_spec 1.2",
        after = { "vendor_changes", "test_tool 1.0" } }                 -- tested with the connection-test tool
phase { name = "catalogue_test", duration = tri(5, 10, 30), after = "vendor_test",
        catalogue = { cases = { "CT-01", "CT-03.TM00000000000001", "CT-04.TM00000000000001", "CT-05.child_allowance",
                                "CT-06", "CT-07" }, fail = 0.25 } }   -- a gate
phase { name = "sign_up", duration = tri(3, 5, 10), after = { "platform 1.0", "software 1.1", "procurement" },
        uses = "onboarding" }                                           -- a tenant set up by J-LIS
phase { name = "delegation_settings", duration = tri(3, 5, 12), after = "sign_up", uses = "support_staff" }
-- Connection: through both gates, with the delivered software
phase { name = "connection", duration = tri(3, 5, 10),
        after = { "privacy_assessment", "catalogue_test", "delegation_settings", "software 1.1", "transmission_standard 1.0" } }
phase { name = "initial_setup", duration = logn { median = 20, p90 = 40 }, after = "connection" }
-- The NWS's comprehensive operational test from July 2016: each body's inter-agency tests,
-- real inquiries through the twin, once the prefecture has coordinated its schedule
phase { name = "coordination", scope = "prefecture", duration = tri(10, 15, 30), not_before = "2016-04-01" }
phase { name = "comprehensive_test", duration = tri(3, 5, 12), after = { "initial_setup", "coordination" },
        window = { "2016-07-01", "2017-03-31" }, tests = { inquiries = 1, partner = "pension", slots = "test_slots" },
        risk = { redo = 0.08, duration = tri(1, 2, 5) } }
phase { name = "layout_2016_adoption", duration = tri(10, 15, 35), after = { "data_layout 2016", "vendor_test" } }
phase { name = "ordinance", duration = tri(20, 40, 90), not_before = "2016-06-01" }
phase { name = "production_prep", duration = tri(20, 35, 70),
        after = { "comprehensive_test", "ordinance", "layout_2016_adoption" } }
phase { name = "trial_operation", scope = "national", duration = 75, not_before = "2017-07-18" }
phase { name = "trial_run", duration = tri(10, 20, 40), after = "production_prep", not_before = "2017-07-18" }
phase { name = "layout_2017_adoption", duration = tri(5, 10, 20), after = "data_layout 2017" }

-- The comprehensive test's entry criteria: the software delivered, the platform up, 90 % of
-- the bodies connected (through their gates)
milestone { name = "comprehensive test start", target = "2016-07-01",
            after = { "connection", "software 1.1", "platform 1.0" }, share = 0.9 }
milestone { name = "inter-agency tests done", target = "2017-03-31", after = "comprehensive_test" }
milestone { name = "trial operation", target = "2017-07-18", after = "production_prep" }
milestone { name = "full operation", target = "2017-11-13",
            after = { "trial_operation", "trial_run", "layout_2017_adoption" } }

expect("every local government is in a wave", function(r) return r.schedule.members == 1788, r.schedule.members end)
expect("capacities were never exceeded", function(r)
  for _, cap in ipairs(r.schedule.capacity) do
    if cap.exceeded then return false, cap.name end
  end
  return true
end)
expect("no body connected before both gates", function(r)
  for _, code in ipairs { "131016", "271004", "011002", "130001" } do
    local p = schedule_lg(code).phases
    if p.connection.start and (p.connection.start < p.privacy_assessment.finish or p.connection.start < p.catalogue_test.finish) then
      return false, code
    end
  end
  return true
end)
expect("every invariant of the network held", function(r)
  for name, held in pairs(r.invariants) do if not held then return false, name end end
  return true
end)
