-- what a script must not reach, and what it must get instead
local absent = { "io", "os", "require", "package", "debug", "dofile", "loadfile", "print" }
for _, name in ipairs(absent) do
  assert(_G[name] == nil, name .. " should be absent")
end
assert(string.dump == nil, "string.dump should be absent")
-- load takes text only
local f = load("return 1 + 1")
assert(f and f() == 2, "load of text works")
local ok, err = load("\27Lua binary", "bin", "b")
assert(ok == nil, "binary chunks are refused")
assert(not pcall(math.randomseed, 1), "math.randomseed is refused")
-- pairs visits keys in a canonical order: numbers, then strings by bytes
local keys = {}
for k in pairs({ zeta = 1, alpha = 2, [2] = 3, [1] = 4, mid = 5 }) do keys[#keys + 1] = tostring(k) end
assert(table.concat(keys, ",") == "1,2,alpha,mid,zeta", table.concat(keys, ","))
assert(next({}) == nil)
assert(next({ b = 1, a = 2 }) == "a")
assert(not pcall(pairs, { [{}] = 1 }), "table keys cannot be iterated deterministically")
-- math.random is the run's stream: the same seed gives the same draws
RANDOMS = { math.random(), math.random(1, 6), math.random(100) }
log("randoms", RANDOMS[1], RANDOMS[2], RANDOMS[3])
expect("sandbox holds", function() return true end)
