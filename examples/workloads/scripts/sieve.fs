\ perfvec workload (gforth): a byte sieve, recursive Fibonacci, an insertion
\ sort of a pseudo-random array and an integer matrix product.
\ Usage: gforth sieve.fs -e bye

2000000 constant limit
create flags limit allot
: sieve ( -- n )
  flags limit 1 fill  0
  limit 2 do
    flags i + c@ if
      1+  i i * limit < if
        limit i i * do 0 flags i + c! j +loop
      then
    then
  loop ;
sieve . cr

: fib ( n -- f ) dup 2 < if exit then dup 1- recurse swap 2 - recurse + ;
27 fib . cr

3000 constant items
create keys items cells allot
variable seed  12345 seed !
: random ( -- u ) seed @ 1103515245 * 12345 + 2147483647 and dup seed ! ;
: fill-keys  items 0 do random 100000 mod keys i cells + ! loop ;
: key@ ( i -- x ) cells keys + @ ;
: key! ( x i -- ) cells keys + ! ;
: insertion-sort
  items 1 do
    i key@  i
    begin dup 0> if 2dup 1- key@ < else false then
    while dup 1- key@ over key! 1-
    repeat
    key!
  loop ;
fill-keys insertion-sort  0 key@ . items 1- key@ . cr

120 constant dim
create ma dim dim * cells allot
create mb dim dim * cells allot
create mc dim dim * cells allot
: at ( m r c -- addr ) swap dim * + cells + ;
: fill-matrices  dim 0 do dim 0 do
    j i + 7 mod  ma j i at !   j i * 5 mod  mb j i at !  loop loop ;
: multiply
  dim 0 do dim 0 do
    0  dim 0 do  ma k i at @  mb i j at @ * +  loop
    mc j i at !
  loop loop ;
: trace ( -- n ) 0 dim 0 do mc i i at @ + loop ;
fill-matrices multiply trace . cr
