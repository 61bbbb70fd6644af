fault.site_down("east", { duration = "-2h" })
