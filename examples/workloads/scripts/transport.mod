/* perfvec workload (glpsol): a transportation LP solved by the simplex
   method. Supplies, demands and costs come from integer formulas, so the
   model is the same everywhere.
   Usage: glpsol --math transport.mod */
param m := 120;
param n := 150;
set I := 1..m;
set J := 1..n;
param supply{i in I} := 100 + (i * 37) mod 61;
param demand{j in J} := floor(sum{i in I} supply[i] / n) - (j mod 3);
param cost{i in I, j in J} := 1 + (i * 91 + j * 53 + i * j * 7) mod 97;
var x{I, J} >= 0;
minimize total: sum{i in I, j in J} cost[i, j] * x[i, j];
s.t. shipped{i in I}: sum{j in J} x[i, j] <= supply[i];
s.t. received{j in J}: sum{i in I} x[i, j] >= demand[j];
solve;
printf "transport %d\n", total;
end;
