-- a local government of 2^32 people: residents{} kept them in 32 bits and gave it none (issue 15)
local east = site { name = "east" }
nws { name = "nws" }
lg { code = "131016", name = "千代田区", home = east, population = 2^32 }
