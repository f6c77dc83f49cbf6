-- perfvec workload (lua5.4): word counts in tables, string building, a
-- solver for N queens and a heap sort of the counts.
-- Usage: lua5.4 tables.lua TEXT
local path = arg[1]
if not path then io.stderr:write("usage: lua5.4 tables.lua TEXT\n") os.exit(2) end
local f = assert(io.open(path, "r"))
local counts, total = {}, 0
for line in f:lines() do
  for word in line:gmatch("%a+") do
    word = word:lower()
    counts[word] = (counts[word] or 0) + 1
    total = total + 1
  end
end
f:close()

local function queens(n)
  local cols, d1, d2, solutions = {}, {}, {}, 0
  local function place(row)
    if row > n then solutions = solutions + 1 return end
    for c = 1, n do
      if not cols[c] and not d1[row + c] and not d2[row - c + n] then
        cols[c], d1[row + c], d2[row - c + n] = true, true, true
        place(row + 1)
        cols[c], d1[row + c], d2[row - c + n] = nil, nil, nil
      end
    end
  end
  place(1)
  return solutions
end

local function heapsort(a, less)
  local n = #a
  local function sift(i, m)
    while true do
      local big, l, r = i, 2 * i, 2 * i + 1
      if l <= m and less(a[big], a[l]) then big = l end
      if r <= m and less(a[big], a[r]) then big = r end
      if big == i then return end
      a[i], a[big] = a[big], a[i]
      i = big
    end
  end
  for i = n // 2, 1, -1 do sift(i, n) end
  for m = n, 2, -1 do a[1], a[m] = a[m], a[1]; sift(1, m - 1) end
end

local list = {}
for word, c in pairs(counts) do list[#list + 1] = {word = word, count = c} end
heapsort(list, function(x, y)
  if x.count ~= y.count then return x.count < y.count end
  return x.word > y.word
end)
local parts = {}
for i = #list, math.max(1, #list - 14), -1 do
  parts[#parts + 1] = string.format("%s=%d", list[i].word, list[i].count)
end
print("words " .. total .. ", distinct " .. #list)
print(table.concat(parts, " "))
print("queens(9) = " .. queens(9))
