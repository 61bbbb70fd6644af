at("09:00", function() fault.crash("no-such-site", { duration = "1h" }) end)
