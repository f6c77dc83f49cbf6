# perfvec workload (gawk): word counts per first letter and per word in
# associative arrays, line statistics, and a sorted report.
# Usage: gawk -f wordcount.awk TEXT
{
  lines++
  chars += length($0) + 1
  for (i = 1; i <= NF; i++) {
    w = tolower($i)
    gsub(/[^a-z]/, "", w)
    if (w == "") continue
    count[w]++
    first[substr(w, 1, 1)]++
    words++
  }
  if (NF > longest) longest = NF
}
END {
  PROCINFO["sorted_in"] = "@val_num_desc"
  n = 0
  for (w in count) { if (n++ < 15) printf "%-12s %d\n", w, count[w] }
  PROCINFO["sorted_in"] = "@ind_str_asc"
  for (c in first) printf "%s %d\n", c, first[c]
  printf "lines %d, words %d, chars %d, longest line %d words\n", lines, words, chars, longest
}
