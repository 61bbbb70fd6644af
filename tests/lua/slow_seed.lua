-- each seed takes a while of CPU (a long loop in one timer), so that a test can kill a --runs
-- worker process while it still has seeds to run (tests/cli_outputs.sh)
start "2017-11-13 09:00"
finish "1h"
node { name = "a" }
after("1s", function()
  local x = 0
  for i = 1, 20000000 do x = x + i % 7 end
  log("done", x)
end)
