after("ninety seconds", function() end)
