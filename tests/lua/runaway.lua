start "2017-11-13 09:00"
after("1m", function()
  local n = 0
  while true do
    n = n + 1
  end
end)
