-- an 'always' declared from a timer was never checked, silently (issue 15); now refused
start "2017-11-13 09:00"
finish "1h"
node { name = "a" }
at("09:30", function()
  always("never checked", function(r) return false end)
end)
