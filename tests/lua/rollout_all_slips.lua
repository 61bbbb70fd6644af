-- tests/lua/rollout_all_slips.lua - for tests/cli_rollout.sh: summary.json lists every slip of
-- the national plan (by default only the 1,000 largest), so that the largest slip of each
-- cause can be read from it. Loaded after scripts/rollout/national_2017.lua; `schedule {}`
-- sets every option it is given, so the plan's critical milestone is restated.
schedule { critical = "full operation", slips = 1000000 }
