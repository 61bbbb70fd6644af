-- calendar callbacks: at, after, every with count, cancel from inside a callback
start "2017-11-13 09:00"
finish "1d"
local fired = {}
at("09:30", function() fired[#fired + 1] = "at " .. clock() end)
after("90s", function() fired[#fired + 1] = "after " .. clock() end)
local n = 0
local h
h = every("1h", function() n = n + 1; if n == 3 then h:cancel() end end)
every("10m", function() fired[#fired + 1] = "tick " .. clock() end, { first = "2017-11-13 12:00", count = 2 })
local cancelled = after("1h", function() error("must not run") end)
assert(cancelled:cancel() == true and cancelled:cancel() == false)
expect("fired in order", function()
  local want = "after 2017-11-13 09:01:30|at 2017-11-13 09:30:00|tick 2017-11-13 12:00:00|tick 2017-11-13 12:10:00"
  local got = table.concat(fired, "|")
  return got == want, got
end)
expect("every stopped after 3", function() return n == 3, "n = " .. n end)
expect("durations parse", function()
  return duration("1h30m") == 5400000000 and duration("0.1s") == 100000 and fmt_duration(duration("90s")) == "1m30s"
end)
