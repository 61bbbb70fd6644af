-- tests/lua/pattern_cases.lua - string.find/match/gmatch/gsub over many subjects, patterns and
-- replacements, errors included: test_patterns runs it with Lua's own string library and in the
-- sandbox (sim_lua_pattern.c), and the two must emit the same lines.
local function show(...) local t = table.pack(...) local o = {} for i = 1, t.n do o[#o+1] = tostring(t[i]) end return table.concat(o, "|") end
local subjects = {"", "hello world", "  key = value  ", "aaa", "abcabc", "THE (quick) [brown] fox", "x=1, y=22, z=333", "a.b.c", "f(a(b)c)d", "\0ab\0", "THE (quick) fox", "hello\nworld", "$x^y%"}
local pats = {"", "o", "l+", "l*", "l-", "l?", "^h", "d$", "^$", ".", "%a+", "%A+", "%d+", "(%w+)=(%w+)", "(%w+)%s*=%s*(%w+)", "()ll()", "[aeiou]", "[^aeiou]+", "[%a_][%w_]*", "%b()", "%f[%w]%w+", "%f[%W]", "(a)(b)%2?%1", "(.)%1", "a.-c", "a.*c", "^(%s*)(.-)(%s*)$", "[a-c]+", "[%]]", "[]]", "[^]]", "%$", "%^", "x%^", "%%", "\0", "%z", "[%z]", ".-$", "(.-)$", "()", "(()a)", "%.", "[.]", "[a-]", "[-a]", "%s", "%S+", "%x+", "%p", "%c", "%u+", "%l+", "%g+", "[%d%s]+", "^(%w+)", "(h)(e)(l)(l)(o)", "$", "^", "a?b?c?", "$x", "x^y"}
for _, s in ipairs(subjects) do
  for _, p in ipairs(pats) do
    emit(("%q %q"):format(s, p), "find", show(pcall(string.find, s, p)))
    emit("", "find3", show(pcall(string.find, s, p, 3)))
    emit("", "find-2", show(pcall(string.find, s, p, -2)))
    emit("", "find99", show(pcall(string.find, s, p, 99)))
    emit("", "findplain", show(pcall(string.find, s, p, 1, true)))
    emit("", "match", show(pcall(string.match, s, p)))
    emit("", "match2", show(pcall(string.match, s, p, 2)))
    local ok, it = pcall(string.gmatch, s, p)
    if ok then local r = {} local ok2, err = pcall(function() local k = 0 for a, b in it do r[#r+1] = show(a, b) k = k + 1 if k > 50 then break end end end) emit("", "gmatch", ok2, err, table.concat(r, ";")) end
    local ok3, it2 = pcall(string.gmatch, s, p, 4)
    if ok3 then local r = {} pcall(function() local k = 0 for a in it2 do r[#r+1] = tostring(a) k = k + 1 if k > 50 then break end end end) emit("", "gmatch4", table.concat(r, ";")) end
    emit("", "gsub", show(pcall(string.gsub, s, p, "<%0>")))
    emit("", "gsub1", show(pcall(string.gsub, s, p, "[%1]")))
    emit("", "gsubn", show(pcall(string.gsub, s, p, "%%", 2)))
    emit("", "gsubf", show(pcall(string.gsub, s, p, function(a, b) if a == "l" then return nil end return "{" .. tostring(a) .. "," .. tostring(b) .. "}" end)))
    emit("", "gsubt", show(pcall(string.gsub, s, p, {l = "L", o = false, hello = 7})))
    emit("", "gsubbad", show(pcall(string.gsub, s, p, "%x")))
    emit("", "gsubnum", show(pcall(string.gsub, s, p, 5)))
  end
end
for _, p in ipairs({"%", "[a", "[a%", "%f", "%fa", "%b", "%ba", "(", ")", "%1", "(%1)", "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))", "a)", "(()"}) do
  emit(("%q"):format(p), show(pcall(string.find, "abc", p)), show(pcall(string.gsub, "abc", p, "x")), show(pcall(string.match, "abc", p)))
end
emit(show(pcall(string.gsub, "abc", "b", {b = {}})))
emit(show(pcall(string.gsub, "abc", "b", true)))
emit(show(pcall(string.gsub, "abc", "(b)", "%2")))
emit(show(pcall(string.find, "abc", "b", 1.5)))
emit(show(("abc"):rep(3):gsub("b", "%%%0%1")))
emit(show(string.rep("a", 300):find(string.rep("a?", 150) .. string.rep("a", 150))))
emit(show(pcall(string.match, string.rep("(", 250) .. "x", string.rep("%(", 250))))
emit(show(pcall(string.find, "x", string.rep("x?", 300))))
