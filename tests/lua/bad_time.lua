at("2017-13-01 10:00", function() end)
