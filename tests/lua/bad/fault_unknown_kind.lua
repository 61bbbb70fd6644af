fault.nemesis { every = "1h", faults = { { kind = "meteor", target = "east", duration = "1h" } } }
