\\ perfvec workload (pari-gp): number theory and analysis in arbitrary
\\ precision: a sum of primes, factorisations of integers and polynomials,
\\ Bernoulli numbers, a determinant, elliptic-curve traces, an integral.
\\ Usage: gp -q -f numbers.gp
s = 0; forprime(p = 2, 3 * 10^6, s += p); print(s);
print(factor(2^101 - 1));
print(factor(10^30 + 57));
print(#Str(numerator(bernfrac(600))));
M = matrix(60, 60, i, j, (i * j + i + 3 * j) % 23); print(matdet(M));
E = ellinit([0, 0, 1, -1, 0]); t = 0; forprime(p = 3, 80000, t += ellap(E, p)); print(t);
print(#factor(x^360 - 1)~);
m = 0; for(i = 1, 300000, m += moebius(i)); print(m);
default(realprecision, 300); print(intnum(x = 0, 1, sin(x) / x));
print(#Str(factorial(30000)));
quit
