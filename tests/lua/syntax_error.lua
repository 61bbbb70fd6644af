node { name = "a" }
local x = = 1
