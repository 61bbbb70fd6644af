start "2017-11-13 09:00"
after("10m", function()
  local t = nil
  return t.field
end)
