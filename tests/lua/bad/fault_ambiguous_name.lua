-- two local governments named 府中市 (Tokyo's and Hiroshima's): the name alone is not enough
lg { code = "132063", name = "府中市", home = "east", backup = "west", population = 260000 }
lg { code = "342076", name = "府中市", home = "west", backup = "east", population = 37000 }
at("09:00", function() fault.crash("府中市", { duration = "1h" }) end)
