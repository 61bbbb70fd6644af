at("09:00", function() fault.crash("大坂市", { duration = "1h" }) end)
