# perfvec workload (tclsh): word counts in a dict, string map and regsub,
# list sorting, and an N-queens search in procs.
# Usage: tclsh dicts.tcl TEXT
if {$argc != 1} { puts stderr "usage: tclsh dicts.tcl TEXT"; exit 2 }
set f [open [lindex $argv 0] r]
set text [string tolower [read $f 800000]]
close $f
set counts [dict create]
set n 0
foreach line [split $text "\n"] {
    foreach w [regexp -all -inline {[a-z]+} $line] {
        dict incr counts $w
        incr n
    }
}
set pairs [lsort -integer -decreasing -stride 2 -index 1 $counts]
puts "$n words, top [lrange $pairs 0 9]"

set mapped [string map {the THE and AND of OF} [string range $text 0 300000]]
puts [string length [regsub -all {([a-z])\1} $mapped {<\1>}]]

proc queens {n row cols d1 d2} {
    if {$row == $n} { return 1 }
    set total 0
    for {set c 0} {$c < $n} {incr c} {
        if {[lsearch -exact $cols $c] >= 0} continue
        if {[lsearch -exact $d1 [expr {$row + $c}]] >= 0} continue
        if {[lsearch -exact $d2 [expr {$row - $c}]] >= 0} continue
        incr total [queens $n [expr {$row + 1}] [linsert $cols 0 $c] \
                        [linsert $d1 0 [expr {$row + $c}]] [linsert $d2 0 [expr {$row - $c}]]]
    }
    return $total
}
puts "queens 8: [queens 8 0 {} {} {}]"

set seed 12345
set nums {}
for {set i 0} {$i < 100000} {incr i} {
    set seed [expr {($seed * 1103515245 + 12345) % 2147483648}]
    lappend nums [expr {$seed % 100000}]
}
set sorted [lsort -integer $nums]
puts "median [lindex $sorted 50000]"
