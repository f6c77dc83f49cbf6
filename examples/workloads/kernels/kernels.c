/* perfvec workload kernels: small programs of our own whose behaviour is
 * known (dense matrix multiply, 2-D stencil, pointer chase, quicksort), for
 * the workload suite (examples/workloads/workloads.toml).
 *
 *   pv-kernels matmul N          C = A * B, N x N doubles, i-k-j order
 *   pv-kernels stencil N STEPS   5-point Jacobi sweeps over an N x N grid
 *   pv-kernels chase MB STEPS    dependent loads around a random cycle of MB MiB
 *   pv-kernels qsort N           quicksort of N pseudo-random 32-bit keys
 *
 * Each prints one checksum line, so that the work is observable and cannot
 * be optimised away. Data come from a fixed splitmix64 seed: every run
 * executes the same instructions.
 *
 * The file includes no header on purpose: it is also the input of the cc1
 * workload (gcc's compiler proper reads it without a preprocessed system
 * header, so the compiled text is the same on every machine). */

typedef unsigned long size_t;
typedef unsigned long long u64;
typedef unsigned int u32;

void *malloc(size_t size);
void free(void *ptr);
int printf(const char *format, ...);
int fprintf(void *stream, const char *format, ...);
long strtol(const char *text, char **end, int base);
int strcmp(const char *a, const char *b);
extern void *stderr;

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

/* splitmix64: tiny, fast, and the same on every machine. */
static u64 next_random(void) {
  u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void *checked_malloc(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) {
    fprintf(stderr, "pv-kernels: out of memory (%lu bytes)\n", bytes);
    return 0;
  }
  return p;
}

static long parse_positive(const char *text, const char *what) {
  char *end = 0;
  long value = strtol(text, &end, 10);
  if (!end || *end != '\0' || value <= 0) {
    fprintf(stderr, "pv-kernels: %s must be a positive integer, got '%s'\n", what, text);
    return -1;
  }
  return value;
}

/* i-k-j order: the inner loop streams through rows of B and C. */
static int matmul(long n) {
  double *a = checked_malloc(sizeof(double) * n * n);
  double *b = checked_malloc(sizeof(double) * n * n);
  double *c = checked_malloc(sizeof(double) * n * n);
  if (!a || !b || !c) return 1;
  for (long i = 0; i < n * n; i++) {
    a[i] = (double)(next_random() % 1000) / 1000.0;
    b[i] = (double)(next_random() % 1000) / 1000.0;
    c[i] = 0.0;
  }
  for (long i = 0; i < n; i++)
    for (long k = 0; k < n; k++) {
      double aik = a[i * n + k];
      for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  double sum = 0.0;
  for (long i = 0; i < n * n; i++) sum += c[i];
  printf("matmul %ld: checksum %.6f\n", n, sum);
  free(a);
  free(b);
  free(c);
  return 0;
}

/* Jacobi sweeps between two grids; the border stays fixed. */
static int stencil(long n, long steps) {
  double *grid = checked_malloc(sizeof(double) * n * n);
  double *next = checked_malloc(sizeof(double) * n * n);
  if (!grid || !next) return 1;
  for (long i = 0; i < n * n; i++) grid[i] = next[i] = (double)(next_random() % 100);
  for (long s = 0; s < steps; s++) {
    for (long y = 1; y < n - 1; y++)
      for (long x = 1; x < n - 1; x++) {
        long i = y * n + x;
        next[i] = 0.2 * (grid[i] + grid[i - 1] + grid[i + 1] + grid[i - n] + grid[i + n]);
      }
    double *t = grid;
    grid = next;
    next = t;
  }
  double sum = 0.0;
  for (long i = 0; i < n * n; i++) sum += grid[i];
  printf("stencil %ld x %ld, %ld steps: checksum %.6f\n", n, n, steps, sum);
  free(grid);
  free(next);
  return 0;
}

/* One random cycle through every 64-byte node (Sattolo's algorithm), so
 * each load depends on the previous one and misses every cache that is
 * smaller than the working set. */
struct node {
  struct node *next;
  u64 pad[7];
};

static int chase(long megabytes, long steps) {
  long count = megabytes * 1024 * 1024 / (long)sizeof(struct node);
  struct node *nodes = checked_malloc(sizeof(struct node) * count);
  long *order = checked_malloc(sizeof(long) * count);
  if (!nodes || !order) return 1;
  for (long i = 0; i < count; i++) order[i] = i;
  for (long i = count - 1; i > 0; i--) {
    long j = (long)(next_random() % (u64)i);
    long t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (long i = 0; i < count; i++) nodes[order[i]].next = &nodes[order[(i + 1) % count]];
  struct node *p = &nodes[order[0]];
  for (long s = 0; s < steps; s++) p = p->next;
  printf("chase %ld MiB, %ld steps: ends at node %ld\n", megabytes, steps, (long)(p - nodes));
  free(nodes);
  free(order);
  return 0;
}

static void sort_range(u32 *keys, long lo, long hi) {
  while (hi - lo > 16) {
    u32 pivot = keys[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        u32 t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
        i++;
        j--;
      }
    }
    /* Recurse into the smaller half: the stack stays O(log n). */
    if (j - lo < hi - i) {
      sort_range(keys, lo, j);
      lo = i;
    } else {
      sort_range(keys, i, hi);
      hi = j;
    }
  }
  for (long i = lo + 1; i <= hi; i++) {
    u32 key = keys[i];
    long j = i - 1;
    while (j >= lo && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
}

static int quicksort(long n) {
  u32 *keys = checked_malloc(sizeof(u32) * n);
  if (!keys) return 1;
  for (long i = 0; i < n; i++) keys[i] = (u32)next_random();
  sort_range(keys, 0, n - 1);
  for (long i = 1; i < n; i++)
    if (keys[i - 1] > keys[i]) {
      fprintf(stderr, "pv-kernels: qsort: keys %ld and %ld out of order\n", i - 1, i);
      return 1;
    }
  u64 sum = 0;
  for (long i = 0; i < n; i += n / 16 + 1) sum = sum * 31 + keys[i];
  printf("qsort %ld: checksum %llu\n", n, sum);
  free(keys);
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: pv-kernels matmul N | stencil N STEPS | chase MIB STEPS | qsort N\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  const char *kernel = argv[1];
  if (strcmp(kernel, "matmul") == 0 && argc == 3) {
    long n = parse_positive(argv[2], "N");
    return n < 0 ? 2 : matmul(n);
  }
  if (strcmp(kernel, "stencil") == 0 && argc == 4) {
    long n = parse_positive(argv[2], "N"), steps = parse_positive(argv[3], "STEPS");
    if (n < 0 || steps < 0) return 2;
    if (n < 3) {
      fprintf(stderr, "pv-kernels: stencil: N must be at least 3\n");
      return 2;
    }
    return stencil(n, steps);
  }
  if (strcmp(kernel, "chase") == 0 && argc == 4) {
    long mib = parse_positive(argv[2], "MIB"), steps = parse_positive(argv[3], "STEPS");
    return mib < 0 || steps < 0 ? 2 : chase(mib, steps);
  }
  if (strcmp(kernel, "qsort") == 0 && argc == 3) {
    long n = parse_positive(argv[2], "N");
    return n < 0 ? 2 : quicksort(n);
  }
  return usage();
}
