# perfvec workload (jq): the corpus read raw (-R -s) into one string, its
# first 80,000 characters split into words, grouped and counted, and arrays
# of numbers built, sorted and reduced. Usage: jq -R -s -f words.jq TEXT
def words: ascii_downcase | split("\n") | map(split(" ")) | flatten
  | map(ltrimstr("\"") | rtrimstr(".") | rtrimstr(",") | rtrimstr("!") | rtrimstr("?"))
  | map(select(length > 0));
.[:80000] | words as $w
| {
    words: ($w | length),
    top: ($w | group_by(.) | map({word: .[0], n: length}) | sort_by(-.n, .word) | .[:8]),
    lengths: ($w | map(length) | group_by(.) | map([.[0], length])),
    numbers: ([range(0; 20000) | (. * 7919) % 100003] | sort | unique | add),
    joined: ($w[:10000] | map(ascii_upcase) | join("-") | length)
  }
