divert(-1)
# perfvec workload (m4): recursive macros doing arithmetic: a prime count by
# trial division, Fibonacci by double recursion, and string building.
# Usage: m4 primes.m4
define(`forloop', `pushdef(`$1', `$2')_forloop($@)popdef(`$1')')
define(`_forloop',
  `$4`'ifelse($1, `$3', `', `define(`$1', incr($1))$0($@)')')
# isprime(N, D): 1 if no divisor of N from D up to its square root.
define(`isprime',
  `ifelse(eval($2 * $2 > $1), 1, 1, eval($1 % $2 == 0), 1, 0, `isprime($1, incr($2))')')
define(`count', 0)
forloop(`n', 2, 7000, `ifelse(isprime(n, 2), 1, `define(`count', incr(count))')')
define(`fib', `ifelse(eval($1 < 2), 1, $1, `eval(fib(decr($1)) + fib(eval($1 - 2)))')')
define(`word', `')
forloop(`i', 1, 3000, `define(`word', substr(word`'translit(i, 0123456789, ABCDEFGHIJ), 0, 200))')
divert(0)dnl
primes below 7000: count
`fib(17)': fib(17)
`word length': len(word)
