fault.link_cut("east", "west", { duration = "1h", speed = 3 })
