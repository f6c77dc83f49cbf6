/* pv-loops: loop kernels of our own for the workload suite's training split
 * (added after suite v2's first dataset, in a binary of their own so that
 * pv-kernels and pv-science, and the data made from them, stay the same):
 * streaming, strided and scattered memory access, scans, sorting and
 * clustering, none of them a stencil (the stencils are test programs).
 *
 *   pv-loops triad N REPS        a = b + s c over arrays of N doubles (STREAM's triad)
 *   pv-loops gemv N REPS         y = A x, a dense N x N matrix by rows
 *   pv-loops transpose N REPS    B = A^T of an N x N matrix, element by element (strided writes)
 *   pv-loops histogram N BINS    counts of N random keys in BINS bins (scattered increments)
 *   pv-loops scan N REPS         inclusive prefix sums of N integers
 *   pv-loops radixsort N PASSES  LSD radix sort of N 32-bit keys, 8 bits a pass (scattered stores)
 *   pv-loops kmeans N K          Lloyd's k-means of N 4-D points into K clusters, 10 iterations
 *   pv-loops floyd N             all-pairs shortest paths of N nodes (Floyd-Warshall)
 *
 * Each prints one checksum line, so that the work is observable and cannot
 * be optimised away. Data come from a fixed splitmix64 seed: every run
 * executes the same instructions. The small helpers (random numbers,
 * allocation, arguments) repeat science.c's on purpose: each kernel binary
 * is one file, and science.c's code must not move (its workloads' data
 * follow from its exact instruction stream). */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

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
    fprintf(stderr, "pv-loops: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

static int triad(long n, long reps) {
  double *a = alloc(sizeof(double) * (size_t)n), *b = alloc(sizeof(double) * (size_t)n);
  double *c = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n; i++) b[i] = next_unit(), c[i] = next_unit();
  double s = 0.5, sum = 0;
  for (long r = 0; r < reps; r++) {
    for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    /* The next pass reads what this one wrote. */
    double *t = b;
    b = a, a = t;
    s = 1.0 / (1.0 + s);
  }
  for (long i = 0; i < n; i++) sum += b[i];
  printf("triad %ld x %ld: sum %.9e\n", n, reps, sum);
  free(a), free(b), free(c);
  return 0;
}

static int gemv(long n, long reps) {
  double *m = alloc(sizeof(double) * (size_t)(n * n));
  double *x = alloc(sizeof(double) * (size_t)n), *y = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n * n; i++) m[i] = next_unit() - 0.5;
  for (long i = 0; i < n; i++) x[i] = next_unit();
  for (long r = 0; r < reps; r++) {
    double norm = 0;
    for (long i = 0; i < n; i++) {
      const double *row = m + i * n;
      double acc = 0;
      for (long j = 0; j < n; j++) acc += row[j] * x[j];
      y[i] = acc;
      norm += acc > 0 ? acc : -acc;
    }
    for (long i = 0; i < n; i++) x[i] = y[i] / (norm + 1e-300);
  }
  printf("gemv %ld x %ld: x[0] %.9e\n", n, reps, x[0]);
  free(m), free(x), free(y);
  return 0;
}

static int transpose(long n, long reps) {
  double *a = alloc(sizeof(double) * (size_t)(n * n)), *b = alloc(sizeof(double) * (size_t)(n * n));
  for (long i = 0; i < n * n; i++) a[i] = next_unit();
  for (long r = 0; r < reps; r++) {
    for (long i = 0; i < n; i++)
      for (long j = 0; j < n; j++) b[j * n + i] = a[i * n + j];
    double *t = a;
    a = b, b = t;
  }
  printf("transpose %ld x %ld: a[1] %.9e\n", n, reps, a[1]);
  free(a), free(b);
  return 0;
}

static int histogram(long n, long bins) {
  uint32_t *count = alloc(sizeof(uint32_t) * (size_t)bins);
  for (long i = 0; i < n; i++) {
    /* Skewed keys: the square of a uniform draw favours the low bins. */
    const double u = next_unit();
    count[(long)(u * u * (double)bins)]++;
  }
  uint64_t weighted = 0;
  for (long b = 0; b < bins; b++) weighted += (uint64_t)count[b] * (uint64_t)(b + 1);
  printf("histogram %ld keys, %ld bins: %llu\n", n, bins, (unsigned long long)weighted);
  free(count);
  return 0;
}

static int scan(long n, long reps) {
  int64_t *v = alloc(sizeof(int64_t) * (size_t)n);
  for (long i = 0; i < n; i++) v[i] = (int64_t)(next_random() % 1000) - 500;
  int64_t check = 0;
  for (long r = 0; r < reps; r++) {
    int64_t acc = 0;
    for (long i = 0; i < n; i++) {
      acc += v[i];
      v[i] = acc % 1000003;
    }
    check ^= acc;
  }
  printf("scan %ld x %ld: %lld\n", n, reps, (long long)check);
  free(v);
  return 0;
}

static int radixsort(long n, long passes) {
  uint32_t *keys = alloc(sizeof(uint32_t) * (size_t)n), *tmp = alloc(sizeof(uint32_t) * (size_t)n);
  uint64_t check = 0;
  for (long p = 0; p < passes; p++) {
    for (long i = 0; i < n; i++) keys[i] = (uint32_t)next_random();
    for (int shift = 0; shift < 32; shift += 8) {
      long offset[257] = {0};
      for (long i = 0; i < n; i++) offset[((keys[i] >> shift) & 255) + 1]++;
      for (int d = 0; d < 256; d++) offset[d + 1] += offset[d];
      for (long i = 0; i < n; i++) tmp[offset[(keys[i] >> shift) & 255]++] = keys[i];
      uint32_t *t = keys;
      keys = tmp, tmp = t;
    }
    for (long i = 1; i < n; i++)
      if (keys[i - 1] > keys[i]) {
        fprintf(stderr, "pv-loops: radixsort: not sorted at %ld\n", i);
        return 1;
      }
    check += keys[n / 2];
  }
  printf("radixsort %ld x %ld: %llu\n", n, passes, (unsigned long long)check);
  free(keys), free(tmp);
  return 0;
}

static int kmeans(long n, long k) {
  enum { kDims = 4, kIterations = 10 };
  double *point = alloc(sizeof(double) * (size_t)(n * kDims));
  double *centre = alloc(sizeof(double) * (size_t)(k * kDims)), *sum = alloc(sizeof(double) * (size_t)(k * kDims));
  long *members = alloc(sizeof(long) * (size_t)k);
  for (long i = 0; i < n * kDims; i++) point[i] = next_unit();
  for (long c = 0; c < k * kDims; c++) centre[c] = point[c];
  double inertia = 0;
  for (int it = 0; it < kIterations; it++) {
    memset(sum, 0, sizeof(double) * (size_t)(k * kDims));
    memset(members, 0, sizeof(long) * (size_t)k);
    inertia = 0;
    for (long i = 0; i < n; i++) {
      const double *p = point + i * kDims;
      long best = 0;
      double bestDistance = 1e300;
      for (long c = 0; c < k; c++) {
        double d = 0;
        for (int j = 0; j < kDims; j++) {
          const double e = p[j] - centre[c * kDims + j];
          d += e * e;
        }
        if (d < bestDistance) bestDistance = d, best = c;
      }
      inertia += bestDistance;
      members[best]++;
      for (int j = 0; j < kDims; j++) sum[best * kDims + j] += p[j];
    }
    for (long c = 0; c < k; c++)
      if (members[c])
        for (int j = 0; j < kDims; j++) centre[c * kDims + j] = sum[c * kDims + j] / (double)members[c];
  }
  printf("kmeans %ld points, %ld clusters: inertia %.9e\n", n, k, inertia);
  free(point), free(centre), free(sum), free(members);
  return 0;
}

static int floyd(long n) {
  double *d = alloc(sizeof(double) * (size_t)(n * n));
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) d[i * n + j] = i == j ? 0.0 : (next_random() % 4 == 0 ? 1.0 + 9.0 * next_unit() : 1e30);
  for (long m = 0; m < n; m++)
    for (long i = 0; i < n; i++) {
      const double dim = d[i * n + m];
      if (dim >= 1e30) continue;
      double *row = d + i * n;
      const double *via = d + m * n;
      for (long j = 0; j < n; j++)
        if (dim + via[j] < row[j]) row[j] = dim + via[j];
    }
  double total = 0;
  for (long i = 0; i < n * n; i++)
    if (d[i] < 1e30) total += d[i];
  printf("floyd %ld nodes: %.9e\n", n, total);
  free(d);
  return 0;
}

static long positive(const char *text, const char *what) {
  char *end = NULL;
  const long v = strtol(text, &end, 10);
  if (!end || *end != '\0' || v <= 0) {
    fprintf(stderr, "pv-loops: %s must be a positive integer, got '%s'\n", what, text);
    exit(2);
  }
  return v;
}

static int usage(void) {
  fprintf(stderr,
          "usage: pv-loops triad N REPS | gemv N REPS | transpose N REPS | histogram N BINS |\n"
          "                scan N REPS | radixsort N PASSES | kmeans N K | floyd N\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  const char *k = argv[1];
  const long a = positive(argv[2], "the first argument");
  if (argc == 3) return strcmp(k, "floyd") == 0 ? floyd(a) : usage();
  if (argc != 4) return usage();
  const long b = positive(argv[3], "the second argument");
  if (strcmp(k, "triad") == 0) return triad(a, b);
  if (strcmp(k, "gemv") == 0) return gemv(a, b);
  if (strcmp(k, "transpose") == 0) return transpose(a, b);
  if (strcmp(k, "histogram") == 0) return histogram(a, b);
  if (strcmp(k, "scan") == 0) return scan(a, b);
  if (strcmp(k, "radixsort") == 0) return radixsort(a, b);
  if (strcmp(k, "kmeans") == 0) return kmeans(a, b);
  return usage();
}
