/* pv-science: scientific and graph kernels of our own for the workload suite
 * v2 (floating point, sparse and irregular memory access), next to
 * pv-kernels (kernels.c, frozen: the demo's numbers follow from its code).
 *
 *   pv-science spmv N ITERS        y = A x, CSR, N rows of a random sparse matrix (8 per row)
 *   pv-science cg N ITERS          conjugate gradient on the 2-D Poisson matrix of an N x N grid
 *   pv-science fft LOG2N REPS      radix-2 complex FFT of 2^LOG2N points, forward and back
 *   pv-science nbody N STEPS       all-pairs gravity, leapfrog, N bodies
 *   pv-science stencil3d N STEPS   7-point Jacobi sweeps over an N^3 grid
 *   pv-science stencil9 N STEPS    9-point (box) sweeps over an N x N grid
 *   pv-science lu N                dense LU factorisation with partial pivoting
 *   pv-science montecarlo N        European option price by N simulated paths
 *   pv-science bfs N DEGREE        breadth-first search of a random graph
 *   pv-science dijkstra N DEGREE   shortest paths with a binary heap
 *   pv-science pagerank N ITERS    power iteration over a random graph
 *
 * Each prints one checksum line, so that the work is observable and cannot
 * be optimised away. Data come from a fixed splitmix64 seed: every run
 * executes the same instructions. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double kPi = 3.14159265358979323846;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(void) { return (double)(next_random() >> 11) * (1.0 / 9007199254740992.0); }

static void *alloc(size_t bytes) {
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "pv-science: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

/* ---- sparse matrix-vector product (CSR) */

static int spmv(long n, long iters) {
  const long per_row = 8;
  long *start = alloc(sizeof(long) * (size_t)(n + 1));
  long *col = alloc(sizeof(long) * (size_t)(n * per_row));
  double *val = alloc(sizeof(double) * (size_t)(n * per_row));
  double *x = alloc(sizeof(double) * (size_t)n), *y = alloc(sizeof(double) * (size_t)n);
  for (long r = 0; r < n; r++) {
    start[r] = r * per_row;
    for (long k = 0; k < per_row; k++) {
      col[r * per_row + k] = (long)(next_random() % (uint64_t)n);
      val[r * per_row + k] = next_unit() - 0.5;
    }
    x[r] = next_unit();
  }
  start[n] = n * per_row;
  for (long it = 0; it < iters; it++) {
    for (long r = 0; r < n; r++) {
      double s = 0.0;
      for (long k = start[r]; k < start[r + 1]; k++) s += val[k] * x[col[k]];
      y[r] = s;
    }
    double norm = 0.0;
    for (long r = 0; r < n; r++) norm += y[r] * y[r];
    norm = sqrt(norm) + 1e-300;
    for (long r = 0; r < n; r++) x[r] = y[r] / norm;
  }
  double sum = 0.0;
  for (long r = 0; r < n; r++) sum += x[r];
  printf("spmv %ld rows, %ld iterations: checksum %.9f\n", n, iters, sum);
  free(start), free(col), free(val), free(x), free(y);
  return 0;
}

/* ---- conjugate gradient on the 5-point Poisson matrix (matrix-free) */

static void poisson(long n, const double *p, double *q) {
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) {
      long k = i * n + j;
      double v = 4.0 * p[k];
      if (i > 0) v -= p[k - n];
      if (i < n - 1) v -= p[k + n];
      if (j > 0) v -= p[k - 1];
      if (j < n - 1) v -= p[k + 1];
      q[k] = v;
    }
}

static int cg(long n, long iters) {
  const long m = n * n;
  double *x = alloc(sizeof(double) * (size_t)m), *r = alloc(sizeof(double) * (size_t)m);
  double *p = alloc(sizeof(double) * (size_t)m), *q = alloc(sizeof(double) * (size_t)m);
  for (long k = 0; k < m; k++) r[k] = p[k] = next_unit();
  double rr = 0.0;
  for (long k = 0; k < m; k++) rr += r[k] * r[k];
  long it = 0;
  for (; it < iters && rr > 1e-24; it++) {
    poisson(n, p, q);
    double pq = 0.0;
    for (long k = 0; k < m; k++) pq += p[k] * q[k];
    const double alpha = rr / pq;
    double next = 0.0;
    for (long k = 0; k < m; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * q[k];
      next += r[k] * r[k];
    }
    const double beta = next / rr;
    rr = next;
    for (long k = 0; k < m; k++) p[k] = r[k] + beta * p[k];
  }
  double sum = 0.0;
  for (long k = 0; k < m; k++) sum += x[k];
  printf("cg %ld x %ld, %ld iterations: residual %.3e checksum %.9f\n", n, n, it, sqrt(rr), sum);
  free(x), free(r), free(p), free(q);
  return 0;
}

/* ---- radix-2 FFT (iterative, in place) */

static void fft(double *re, double *im, long n, int inverse) {
  for (long i = 1, j = 0; i < n; i++) {
    long bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (long len = 2; len <= n; len <<= 1) {
    const double angle = (inverse ? 2.0 : -2.0) * kPi / (double)len;
    const double wr = cos(angle), wi = sin(angle);
    for (long i = 0; i < n; i += len) {
      double cr = 1.0, ci = 0.0;
      for (long k = 0; k < len / 2; k++) {
        const long a = i + k, b = i + k + len / 2;
        const double tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr, im[b] = im[a] - ti;
        re[a] += tr, im[a] += ti;
        const double nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
  if (inverse)
    for (long i = 0; i < n; i++) re[i] /= (double)n, im[i] /= (double)n;
}

static int fft_kernel(long log2n, long reps) {
  if (log2n > 26) {
    fprintf(stderr, "pv-science: fft: LOG2N must be at most 26\n");
    return 2;
  }
  const long n = 1L << log2n;
  double *re = alloc(sizeof(double) * (size_t)n), *im = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n; i++) re[i] = next_unit() - 0.5;
  for (long r = 0; r < reps; r++) {
    fft(re, im, n, 0);
    fft(re, im, n, 1);
  }
  double sum = 0.0;
  for (long i = 0; i < n; i++) sum += re[i] + im[i];
  printf("fft 2^%ld points, %ld round trips: checksum %.9f\n", log2n, reps, sum);
  free(re), free(im);
  return 0;
}

/* ---- n-body (all pairs, leapfrog) */

static int nbody(long n, long steps) {
  double *pos = alloc(sizeof(double) * 3 * (size_t)n), *vel = alloc(sizeof(double) * 3 * (size_t)n);
  double *acc = alloc(sizeof(double) * 3 * (size_t)n), *mass = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n; i++) {
    for (int d = 0; d < 3; d++) pos[3 * i + d] = next_unit() * 10.0, vel[3 * i + d] = next_unit() - 0.5;
    mass[i] = 0.5 + next_unit();
  }
  const double dt = 1e-3, soft = 1e-2;
  for (long s = 0; s < steps; s++) {
    memset(acc, 0, sizeof(double) * 3 * (size_t)n);
    for (long i = 0; i < n; i++)
      for (long j = i + 1; j < n; j++) {
        double d[3], r2 = soft;
        for (int k = 0; k < 3; k++) d[k] = pos[3 * j + k] - pos[3 * i + k], r2 += d[k] * d[k];
        const double inv = 1.0 / (r2 * sqrt(r2));
        for (int k = 0; k < 3; k++) {
          acc[3 * i + k] += mass[j] * inv * d[k];
          acc[3 * j + k] -= mass[i] * inv * d[k];
        }
      }
    for (long i = 0; i < 3 * n; i++) vel[i] += dt * acc[i], pos[i] += dt * vel[i];
  }
  double sum = 0.0;
  for (long i = 0; i < 3 * n; i++) sum += pos[i];
  printf("nbody %ld bodies, %ld steps: checksum %.9f\n", n, steps, sum);
  free(pos), free(vel), free(acc), free(mass);
  return 0;
}

/* ---- stencils */

static int stencil3d(long n, long steps) {
  const long m = n * n * n;
  double *a = alloc(sizeof(double) * (size_t)m), *b = alloc(sizeof(double) * (size_t)m);
  for (long i = 0; i < m; i++) a[i] = b[i] = next_unit();
  for (long s = 0; s < steps; s++) {
    for (long z = 1; z < n - 1; z++)
      for (long y = 1; y < n - 1; y++)
        for (long x = 1; x < n - 1; x++) {
          const long i = (z * n + y) * n + x;
          b[i] = (a[i] + a[i - 1] + a[i + 1] + a[i - n] + a[i + n] + a[i - n * n] + a[i + n * n]) / 7.0;
        }
    double *t = a;
    a = b, b = t;
  }
  double sum = 0.0;
  for (long i = 0; i < m; i++) sum += a[i];
  printf("stencil3d %ld^3, %ld steps: checksum %.9f\n", n, steps, sum);
  free(a), free(b);
  return 0;
}

static int stencil9(long n, long steps) {
  double *a = alloc(sizeof(double) * (size_t)(n * n)), *b = alloc(sizeof(double) * (size_t)(n * n));
  for (long i = 0; i < n * n; i++) a[i] = b[i] = next_unit();
  for (long s = 0; s < steps; s++) {
    for (long y = 1; y < n - 1; y++)
      for (long x = 1; x < n - 1; x++) {
        double v = 0.0;
        for (long dy = -1; dy <= 1; dy++)
          for (long dx = -1; dx <= 1; dx++) v += a[(y + dy) * n + x + dx];
        b[y * n + x] = v / 9.0;
      }
    double *t = a;
    a = b, b = t;
  }
  double sum = 0.0;
  for (long i = 0; i < n * n; i++) sum += a[i];
  printf("stencil9 %ld x %ld, %ld steps: checksum %.9f\n", n, n, steps, sum);
  free(a), free(b);
  return 0;
}

/* ---- dense LU with partial pivoting */

static int lu(long n) {
  double *a = alloc(sizeof(double) * (size_t)(n * n));
  for (long i = 0; i < n * n; i++) a[i] = next_unit() - 0.5;
  double logdet = 0.0;
  for (long k = 0; k < n; k++) {
    long p = k;
    for (long i = k + 1; i < n; i++)
      if (fabs(a[i * n + k]) > fabs(a[p * n + k])) p = i;
    if (p != k)
      for (long j = 0; j < n; j++) {
        double t = a[k * n + j];
        a[k * n + j] = a[p * n + j], a[p * n + j] = t;
      }
    const double pivot = a[k * n + k];
    logdet += log(fabs(pivot) + 1e-300);
    for (long i = k + 1; i < n; i++) {
      const double f = a[i * n + k] / pivot;
      a[i * n + k] = f;
      for (long j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  printf("lu %ld x %ld: log|det| %.9f\n", n, n, logdet);
  free(a);
  return 0;
}

/* ---- Monte Carlo: a European call under geometric Brownian motion */

static int montecarlo(long paths) {
  const double s0 = 100.0, strike = 105.0, rate = 0.03, sigma = 0.2, years = 1.0;
  const int steps = 16;
  const double dt = years / steps, drift = (rate - 0.5 * sigma * sigma) * dt, vol = sigma * sqrt(dt);
  double payoff = 0.0;
  for (long p = 0; p < paths; p++) {
    double s = s0;
    for (int t = 0; t < steps; t += 2) {
      /* Box-Muller: two normal draws. */
      const double u1 = next_unit() + 1e-300, u2 = next_unit();
      const double r = sqrt(-2.0 * log(u1));
      s *= exp(drift + vol * r * cos(2.0 * kPi * u2));
      s *= exp(drift + vol * r * sin(2.0 * kPi * u2));
    }
    if (s > strike) payoff += s - strike;
  }
  printf("montecarlo %ld paths: price %.9f\n", paths, exp(-rate * years) * payoff / (double)paths);
  return 0;
}

/* ---- graphs: a random directed graph with DEGREE edges per node (CSR) */

struct graph {
  long n, *start, *to;
  double *weight;
};

static struct graph random_graph(long n, long degree) {
  struct graph g = {n, alloc(sizeof(long) * (size_t)(n + 1)), alloc(sizeof(long) * (size_t)(n * degree)),
                    alloc(sizeof(double) * (size_t)(n * degree))};
  for (long v = 0; v < n; v++) {
    g.start[v] = v * degree;
    for (long k = 0; k < degree; k++) {
      /* half the edges local (within 64 nodes), half anywhere */
      long w = k % 2 ? (long)(next_random() % (uint64_t)n) : (v + 1 + (long)(next_random() % 64)) % n;
      g.to[v * degree + k] = w;
      g.weight[v * degree + k] = 1.0 + next_unit() * 9.0;
    }
  }
  g.start[n] = n * degree;
  return g;
}

static void free_graph(struct graph *g) { free(g->start), free(g->to), free(g->weight); }

static int bfs(long n, long degree) {
  struct graph g = random_graph(n, degree);
  long *depth = alloc(sizeof(long) * (size_t)n), *queue = alloc(sizeof(long) * (size_t)n);
  long reached = 0, levels = 0, sources = 0;
  for (long source = 0; source < n && sources < 4; source += n / 4 + 1, sources++) {
    for (long v = 0; v < n; v++) depth[v] = -1;
    long head = 0, tail = 0;
    depth[source] = 0, queue[tail++] = source;
    while (head < tail) {
      const long v = queue[head++];
      for (long e = g.start[v]; e < g.start[v + 1]; e++)
        if (depth[g.to[e]] < 0) depth[g.to[e]] = depth[v] + 1, queue[tail++] = g.to[e];
    }
    reached += tail;
    levels += depth[queue[tail - 1]];
  }
  printf("bfs %ld nodes, degree %ld: reached %ld, levels %ld\n", n, degree, reached, levels);
  free(depth), free(queue), free_graph(&g);
  return 0;
}

static int dijkstra(long n, long degree) {
  struct graph g = random_graph(n, degree);
  double *dist = alloc(sizeof(double) * (size_t)n);
  long *heap = alloc(sizeof(long) * (size_t)(n * degree + 1)), size = 0;
  double *key = alloc(sizeof(double) * (size_t)(n * degree + 1));
  for (long v = 0; v < n; v++) dist[v] = INFINITY;
  dist[0] = 0.0, heap[0] = 0, key[0] = 0.0, size = 1;
  while (size > 0) {
    const long v = heap[0];
    const double d = key[0];
    /* pop: the last entry sifts down from the root */
    size--;
    long i = 0;
    while (size > 0) {
      long c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && key[c + 1] < key[c]) c++;
      if (key[size] <= key[c]) break;
      heap[i] = heap[c], key[i] = key[c], i = c;
    }
    if (size > 0) heap[i] = heap[size], key[i] = key[size];
    if (d > dist[v]) continue; /* stale entry */
    for (long e = g.start[v]; e < g.start[v + 1]; e++) {
      const long w = g.to[e];
      const double nd = d + g.weight[e];
      if (nd < dist[w]) {
        dist[w] = nd;
        long j = size++;
        while (j > 0 && key[(j - 1) / 2] > nd) heap[j] = heap[(j - 1) / 2], key[j] = key[(j - 1) / 2], j = (j - 1) / 2;
        heap[j] = w, key[j] = nd;
      }
    }
  }
  double sum = 0.0;
  long reached = 0;
  for (long v = 0; v < n; v++)
    if (dist[v] < INFINITY) sum += dist[v], reached++;
  printf("dijkstra %ld nodes, degree %ld: reached %ld, checksum %.6f\n", n, degree, reached, sum);
  free(dist), free(heap), free(key), free_graph(&g);
  return 0;
}

static int pagerank(long n, long iters) {
  struct graph g = random_graph(n, 8);
  double *rank = alloc(sizeof(double) * (size_t)n), *next = alloc(sizeof(double) * (size_t)n);
  for (long v = 0; v < n; v++) rank[v] = 1.0 / (double)n;
  for (long it = 0; it < iters; it++) {
    for (long v = 0; v < n; v++) next[v] = 0.15 / (double)n;
    for (long v = 0; v < n; v++) {
      const double share = 0.85 * rank[v] / (double)(g.start[v + 1] - g.start[v]);
      for (long e = g.start[v]; e < g.start[v + 1]; e++) next[g.to[e]] += share;
    }
    double *t = rank;
    rank = next, next = t;
  }
  double top = 0.0;
  for (long v = 0; v < n; v++)
    if (rank[v] > top) top = rank[v];
  printf("pagerank %ld nodes, %ld iterations: top rank %.9e\n", n, iters, top);
  free(rank), free(next), free_graph(&g);
  return 0;
}

/* ---- command line */

static long positive(const char *text, const char *what) {
  char *end = NULL;
  const long v = strtol(text, &end, 10);
  if (!end || *end != '\0' || v <= 0) {
    fprintf(stderr, "pv-science: %s must be a positive integer, got '%s'\n", what, text);
    exit(2);
  }
  return v;
}

static int usage(void) {
  fprintf(stderr,
          "usage: pv-science spmv N ITERS | cg N ITERS | fft LOG2N REPS | nbody N STEPS |\n"
          "                  stencil3d N STEPS | stencil9 N STEPS | lu N | montecarlo N |\n"
          "                  bfs N DEGREE | dijkstra N DEGREE | pagerank N ITERS\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  const char *k = argv[1];
  const long a = positive(argv[2], "the first argument");
  if (argc == 3) {
    if (strcmp(k, "lu") == 0) return lu(a);
    if (strcmp(k, "montecarlo") == 0) return montecarlo(a);
    return usage();
  }
  if (argc != 4) return usage();
  const long b = positive(argv[3], "the second argument");
  if (strcmp(k, "spmv") == 0) return spmv(a, b);
  if (strcmp(k, "cg") == 0) return cg(a, b);
  if (strcmp(k, "fft") == 0) return fft_kernel(a, b);
  if (strcmp(k, "nbody") == 0) return nbody(a, b);
  if ((strcmp(k, "stencil3d") == 0 || strcmp(k, "stencil9") == 0) && a < 3) {
    fprintf(stderr, "pv-science: %s: N must be at least 3\n", k);
    return 2;
  }
  if (strcmp(k, "stencil3d") == 0) return stencil3d(a, b);
  if (strcmp(k, "stencil9") == 0) return stencil9(a, b);
  if (strcmp(k, "bfs") == 0) return bfs(a, b);
  if (strcmp(k, "dijkstra") == 0) return dijkstra(a, b);
  if (strcmp(k, "pagerank") == 0) return pagerank(a, b);
  return usage();
}
