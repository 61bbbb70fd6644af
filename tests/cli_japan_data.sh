# tests/cli_japan_data.sh - topologies/data/local_governments.lua: 47 prefectures and 1,741
# municipalities, unique codes with valid check digits, no Northern Territories village, a site
# and a positive population for every body, a few known entries. The sandbox cannot read files,
# so the data is pasted into a generated script as the body of a function, and the assertions
# run in renkei's own Lua (`renkei check`: exit 0, or 2 on a failed assert).
set -euo pipefail
source tests/lib.sh "$@"
DATA=topologies/data/local_governments.lua
[ -f "$DATA" ] || { echo "FAIL: $DATA is missing" >&2; exit 1; }

# make_script DATAFILE OUT: the assertions around a copy of DATAFILE
make_script() {
    {
        echo 'local data = (function()'
        cat "$1"
        echo 'end)()'
        cat <<'LUA'
local function fail(fmt, ...) error(string.format(fmt, ...), 2) end
assert(type(data) == "table", "the data chunk returns a table")

-- official check digit: weights 6,5,4,3,2, r = sum mod 11, digit = (11 - r) mod 10
local function check_digit(code)
  local w, sum = { 6, 5, 4, 3, 2 }, 0
  for i = 1, 5 do sum = sum + w[i] * tonumber(code:sub(i, i)) end
  return (11 - sum % 11) % 10
end
for _, c in ipairs({ "131016", "011002", "271004", "130001", "012131" }) do
  assert(check_digit(c) == tonumber(c:sub(6, 6)), "check-digit rule fails on " .. c)
end

local northern = { ["016951"] = true, ["016969"] = true, ["016977"] = true,
                   ["016985"] = true, ["016993"] = true, ["017001"] = true }
local northern_names = { ["色丹村"] = true, ["留夜別村"] = true, ["留別村"] = true,
                         ["紗那村"] = true, ["蘂取村"] = true }
local regions = { hokkaido = "east", tohoku = "east", kanto = "east", chubu = "east",
                  kinki = "west", chugoku = "west", shikoku = "west", kyushu = "west" }

local by_code, npref, nmuni, prev = {}, 0, 0, ""
local pref_pop, muni_sum = {}, {}
for i, b in ipairs(data) do
  local code = b.code
  if type(code) ~= "string" or not code:match("^%d%d%d%d%d%d$") then fail("entry %d: bad code %s", i, tostring(code)) end
  if check_digit(code) ~= tonumber(code:sub(6, 6)) then fail("bad check digit %s (%s)", code, tostring(b.name)) end
  if northern[code] or northern_names[b.name] or (b.name == "泊村" and code ~= "014036") then
    fail("Northern Territories village %s %s", code, b.name)
  end
  if by_code[code] then fail("duplicate code %s", code) end
  if code <= prev then fail("not sorted by code at %s", code) end
  by_code[code], prev = b, code
  if type(b.name) ~= "string" or b.name == "" or type(b.kana) ~= "string" or b.kana == "" then fail("%s: name or kana missing", code) end
  if b.pref ~= code:sub(1, 2) then fail("%s: pref %s", code, tostring(b.pref)) end
  if regions[b.region] == nil then fail("%s: region %s", code, tostring(b.region)) end
  if b.site ~= "east" and b.site ~= "west" then fail("%s: site %s", code, tostring(b.site)) end
  if regions[b.region] ~= b.site then fail("%s: region %s but site %s", code, b.region, b.site) end
  if math.type(b.population) ~= "integer" or b.population <= 0 then fail("%s: population %s", code, tostring(b.population)) end
  if b.population_source ~= "census2020" and b.population_source ~= "assumed" then fail("%s: population_source", code) end
  if b.kind == "prefecture" then
    npref = npref + 1
    if code ~= b.pref .. "000" .. check_digit(b.pref .. "000") then fail("prefecture code %s", code) end
    if b.pref_name ~= b.name then fail("%s: pref_name %s", code, tostring(b.pref_name)) end
    pref_pop[b.pref] = b.population
  elseif b.kind == "municipality" then
    nmuni = nmuni + 1
    muni_sum[b.pref] = (muni_sum[b.pref] or 0) + b.population
  else
    fail("%s: kind %s", code, tostring(b.kind))
  end
end
if npref ~= 47 then fail("%d prefectures, expected 47", npref) end
if nmuni ~= 1741 then fail("%d municipalities, expected 1741", nmuni) end
local national = 0
for pref, pop in pairs(pref_pop) do
  national = national + pop
  if muni_sum[pref] ~= pop then fail("prefecture %s: municipalities add up to %s, not %d", pref, tostring(muni_sum[pref]), pop) end
end
if national ~= 126146099 then fail("prefectures add up to %d, not the 2020 census 126146099", national) end

-- known entries
local function expect_body(code, name, pref_name, site, population)
  local b = by_code[code]
  if not b then fail("%s (%s) missing", code, name) end
  if b.name ~= name or b.pref_name ~= pref_name or b.site ~= site then
    fail("%s: %s %s %s, expected %s %s %s", code, b.name, b.pref_name, b.site, name, pref_name, site)
  end
  if population and b.population ~= population then fail("%s: population %d, expected %d", code, b.population, population) end
end
expect_body("131016", "千代田区", "東京都", "east", 66680)
expect_body("130001", "東京都", "東京都", "east", 14047594)
expect_body("011002", "札幌市", "北海道", "east", 1973395)
expect_body("014036", "泊村", "北海道", "east")          -- the real Tomari village stays
expect_body("271004", "大阪市", "大阪府", "west", 2752412)
expect_body("472077", "石垣市", "沖縄県", "west")
expect_body("472018", "那覇市", "沖縄県", "west")
expect_body("202011", "長野市", "長野県", "east")        -- chubu is east
expect_body("242012", "津市", "三重県", "west")          -- Mie is kinki, west
if by_code["472077"].region ~= "kyushu" then fail("Okinawa is in kyushu") end
if by_code["011011"] then fail("011011 (a ward of Sapporo) is not a local government") end
LUA
    } >"$2"
}

make_script "$DATA" "$TMP/data_ok.lua"
expect_exit 0 check "$TMP/data_ok.lua"
expect_match "$TMP/out" '^ok: 1 file'   # check writes no summary.json: its one line is what it says

# negative control: one check digit altered (131016 -> 131017) must fail
grep -q 'code = "131016"' "$DATA" || fail "131016 not found in $DATA"
sed 's/code = "131016"/code = "131017"/' "$DATA" >"$TMP/bad_data.lua"
make_script "$TMP/bad_data.lua" "$TMP/data_bad.lua"
expect_exit 2 check "$TMP/data_bad.lua"
expect_match "$TMP/err" 'bad check digit 131017 \(千代田区\)'

# negative control: a Northern Territories village put back must fail
sed 's/^}$/{ code = "016969", name = "泊村", kana = "とまりむら", pref = "01", pref_name = "北海道", kind = "municipality", region = "hokkaido", site = "east", population = 1, population_source = "assumed" },\n}/' "$DATA" >"$TMP/nt_data.lua"
make_script "$TMP/nt_data.lua" "$TMP/data_nt.lua"
expect_exit 2 check "$TMP/data_nt.lua"
expect_match "$TMP/err" 'Northern Territories village 016969 泊村'
finish
