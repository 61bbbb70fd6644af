-- an expectation declared by another's check moved the table under the check that was running:
-- heap-use-after-free at the end of the run (found by fuzz_lua, issue 15); now refused
start "2017-11-13 09:00"
finish "1h"
node { name = "a" }
expect("declares another", function(r)
  always("too late", function(r) return true end)
  return true
end)
