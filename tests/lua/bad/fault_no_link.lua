fault.link_cut("131016", "401307", { duration = "1h" })
