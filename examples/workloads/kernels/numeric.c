/* pv-numeric: floating-point kernels of our own for the workload suite's
 * training split (round 6, in a binary of their own so that pv-kernels,
 * pv-science and pv-loops, and the data made from them, stay the same):
 * transcendental-heavy, compute-bound, blocked, gather and scatter shapes,
 * none of them a stencil (the stencils are test programs).
 *
 *   pv-numeric blackscholes N REPS   option prices of N options (exp, log, sqrt, erf), REPS times
 *   pv-numeric mandelbrot N ITERS    escape times of an N x N grid, at most ITERS iterations a point
 *   pv-numeric spectralnorm N ITERS  power iteration with the implicit matrix 1 / ((i+j)(i+j+1)/2 + i + 1)
 *   pv-numeric dct N REPS            8 x 8 block DCT-II and its inverse over an N x N picture
 *   pv-numeric raytrace N SPHERES    N x N primary rays against SPHERES spheres, one shadow ray each
 *   pv-numeric sgd N EPOCHS          logistic regression over N samples of 32 features, by SGD
 *   pv-numeric pic N STEPS           particle-in-cell: N particles deposit on a 256 x 256 grid and
 *                                    gather its field back, STEPS times
 *
 * Each prints one checksum line, so that the work is observable and cannot
 * be optimised away. Data come from a fixed splitmix64 seed: every run
 * executes the same instructions. The small helpers repeat loops.c's on
 * purpose: each kernel binary is one file. */

#include <math.h>
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
    fprintf(stderr, "pv-numeric: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

static int blackscholes(long n, long reps) {
  double *spot = alloc(sizeof(double) * (size_t)n), *strike = alloc(sizeof(double) * (size_t)n);
  double *years = alloc(sizeof(double) * (size_t)n), *vol = alloc(sizeof(double) * (size_t)n);
  double *price = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n; i++) {
    spot[i] = 50 + 100 * next_unit(), strike[i] = 50 + 100 * next_unit();
    years[i] = 0.1 + 2 * next_unit(), vol[i] = 0.05 + 0.5 * next_unit();
  }
  const double rate = 0.02;
  double sum = 0;
  for (long r = 0; r < reps; r++) {
    for (long i = 0; i < n; i++) {
      double root = vol[i] * sqrt(years[i]);
      double d1 = (log(spot[i] / strike[i]) + (rate + 0.5 * vol[i] * vol[i]) * years[i]) / root;
      double d2 = d1 - root;
      double n1 = 0.5 * erfc(-d1 * M_SQRT1_2), n2 = 0.5 * erfc(-d2 * M_SQRT1_2);
      double call = spot[i] * n1 - strike[i] * exp(-rate * years[i]) * n2;
      /* Calls and puts alternate, so that the branch has work to predict. */
      price[i] = (i & 1) ? call - spot[i] + strike[i] * exp(-rate * years[i]) : call;
    }
    for (long i = 0; i < n; i += 97) sum += price[i];
    for (long i = 0; i < n; i++) spot[i] *= 1.0 + 1e-4 * (double)((i + r) % 7 - 3);
  }
  printf("blackscholes %ld x %ld: sum %.9e\n", n, reps, sum);
  free(spot), free(strike), free(years), free(vol), free(price);
  return 0;
}

static int mandelbrot(long n, long iters) {
  long inside = 0, total = 0;
  for (long y = 0; y < n; y++) {
    double ci = -1.25 + 2.5 * (double)y / (double)n;
    for (long x = 0; x < n; x++) {
      double cr = -2.0 + 2.6 * (double)x / (double)n, zr = 0, zi = 0;
      long k = 0;
      for (; k < iters && zr * zr + zi * zi <= 4.0; k++) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci, zr = t;
      }
      total += k;
      inside += k == iters;
    }
  }
  printf("mandelbrot %ld x %ld: %ld inside, %ld iterations\n", n, iters, inside, total);
  return 0;
}

static double implicit_entry(long i, long j) { return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1); }

/* out = A in, or A^T in when transposed. */
static void times_implicit(long n, const double *in, double *out, int transposed) {
  for (long i = 0; i < n; i++) {
    double acc = 0;
    for (long j = 0; j < n; j++) acc += (transposed ? implicit_entry(j, i) : implicit_entry(i, j)) * in[j];
    out[i] = acc;
  }
}

static int spectralnorm(long n, long iters) {
  double *u = alloc(sizeof(double) * (size_t)n), *v = alloc(sizeof(double) * (size_t)n);
  double *t = alloc(sizeof(double) * (size_t)n);
  for (long i = 0; i < n; i++) u[i] = 1;
  for (long k = 0; k < iters; k++) {
    times_implicit(n, u, t, 0), times_implicit(n, t, v, 1);
    times_implicit(n, v, t, 0), times_implicit(n, t, u, 1);
  }
  double vbv = 0, vv = 0;
  for (long i = 0; i < n; i++) vbv += u[i] * v[i], vv += v[i] * v[i];
  printf("spectralnorm %ld x %ld: %.9f\n", n, iters, sqrt(vbv / vv));
  free(u), free(v), free(t);
  return 0;
}

static int dct(long n, long reps) {
  n -= n % 8;
  if (n < 8) n = 8;
  float *picture = alloc(sizeof(float) * (size_t)(n * n)), *coeff = alloc(sizeof(float) * (size_t)(n * n));
  double basis[8][8];
  for (int k = 0; k < 8; k++)
    for (int x = 0; x < 8; x++) basis[k][x] = (k ? 0.5 : M_SQRT1_2 * 0.5) * cos((2 * x + 1) * k * M_PI / 16);
  for (long i = 0; i < n * n; i++) picture[i] = (float)(128 + 64 * sin((double)(i % n) * 0.05) + 32 * next_unit());
  double sum = 0;
  for (long r = 0; r < reps; r++) {
    for (long by = 0; by < n; by += 8)
      for (long bx = 0; bx < n; bx += 8) {
        double rows[8][8];
        for (int y = 0; y < 8; y++)
          for (int k = 0; k < 8; k++) {
            double acc = 0;
            for (int x = 0; x < 8; x++) acc += basis[k][x] * picture[(by + y) * n + bx + x];
            rows[y][k] = acc;
          }
        for (int k = 0; k < 8; k++)
          for (int l = 0; l < 8; l++) {
            double acc = 0;
            for (int y = 0; y < 8; y++) acc += basis[l][y] * rows[y][k];
            /* Quantised, as a codec would, so that the inverse changes the picture. */
            coeff[(by + l) * n + bx + k] = (float)(16 * nearbyint(acc / 16));
          }
        for (int y = 0; y < 8; y++)
          for (int x = 0; x < 8; x++) {
            double acc = 0;
            for (int l = 0; l < 8; l++)
              for (int k = 0; k < 8; k++) acc += basis[l][y] * basis[k][x] * coeff[(by + l) * n + bx + k];
            picture[(by + y) * n + bx + x] = (float)acc;
          }
      }
    sum += picture[(r * 7919) % (n * n)];
  }
  printf("dct %ld x %ld: %.6e\n", n, reps, sum);
  free(picture), free(coeff);
  return 0;
}

typedef struct {
  double x, y, z, radius;
} sphere;

/* Distance along the unit ray (o, d) to the nearest sphere, or -1. */
static double nearest_hit(const sphere *s, long count, const double o[3], const double d[3], long *which) {
  double best = -1;
  for (long k = 0; k < count; k++) {
    double ox = o[0] - s[k].x, oy = o[1] - s[k].y, oz = o[2] - s[k].z;
    double b = ox * d[0] + oy * d[1] + oz * d[2];
    double c = ox * ox + oy * oy + oz * oz - s[k].radius * s[k].radius;
    double disc = b * b - c;
    if (disc < 0) continue;
    double t = -b - sqrt(disc);
    if (t > 1e-6 && (best < 0 || t < best)) best = t, *which = k;
  }
  return best;
}

static int raytrace(long n, long count) {
  sphere *s = alloc(sizeof(sphere) * (size_t)count);
  for (long k = 0; k < count; k++)
    s[k] = (sphere){20 * next_unit() - 10, 20 * next_unit() - 10, 10 + 30 * next_unit(), 0.3 + 1.5 * next_unit()};
  const double light[3] = {-0.5773502692, 0.5773502692, -0.5773502692};
  double shade = 0;
  long hits = 0;
  for (long py = 0; py < n; py++)
    for (long px = 0; px < n; px++) {
      double d[3] = {(double)px / (double)n - 0.5, (double)py / (double)n - 0.5, 1};
      double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      d[0] /= len, d[1] /= len, d[2] /= len;
      const double origin[3] = {0, 0, 0};
      long k = 0;
      double t = nearest_hit(s, count, origin, d, &k);
      if (t < 0) continue;
      hits++;
      double p[3] = {t * d[0], t * d[1], t * d[2]};
      double nx = (p[0] - s[k].x) / s[k].radius, ny = (p[1] - s[k].y) / s[k].radius;
      double nz = (p[2] - s[k].z) / s[k].radius;
      double lambert = nx * light[0] + ny * light[1] + nz * light[2];
      long blocker = 0;
      if (lambert > 0 && nearest_hit(s, count, p, light, &blocker) < 0) shade += lambert;
    }
  printf("raytrace %ld x %ld: %ld hits, shade %.6f\n", n, count, hits, shade);
  free(s);
  return 0;
}

enum { sgd_features = 32 };

static int sgd(long n, long epochs) {
  float *x = alloc(sizeof(float) * (size_t)(n * sgd_features));
  float *label = alloc(sizeof(float) * (size_t)n);
  double truth[sgd_features], w[sgd_features] = {0};
  for (int f = 0; f < sgd_features; f++) truth[f] = next_unit() * 2 - 1;
  for (long i = 0; i < n; i++) {
    double z = 0;
    for (int f = 0; f < sgd_features; f++) z += truth[f] * (x[i * sgd_features + f] = (float)(next_unit() * 2 - 1));
    label[i] = z + 0.3 * (next_unit() - 0.5) > 0;
  }
  double loss = 0;
  for (long e = 0; e < epochs; e++) {
    double rate = 0.1 / (1 + (double)e);
    loss = 0;
    /* A stride through the samples, coprime with n, so that each epoch visits them in another order. */
    long stride = 7919 + 2 * e;
    while (n % stride == 0) stride += 2;
    for (long k = 0, i = 0; k < n; k++, i = (i + stride) % n) {
      const float *row = x + i * sgd_features;
      double z = 0;
      for (int f = 0; f < sgd_features; f++) z += w[f] * row[f];
      double p = 1 / (1 + exp(-z));
      loss -= label[i] ? log(p + 1e-12) : log(1 - p + 1e-12);
      double g = rate * (p - label[i]);
      for (int f = 0; f < sgd_features; f++) w[f] -= g * row[f];
    }
  }
  printf("sgd %ld x %ld: loss %.6f\n", n, epochs, loss / (double)n);
  free(x), free(label);
  return 0;
}

enum { pic_grid = 256 };

static int pic(long n, long steps) {
  double *px = alloc(sizeof(double) * (size_t)n), *py = alloc(sizeof(double) * (size_t)n);
  double *vx = alloc(sizeof(double) * (size_t)n), *vy = alloc(sizeof(double) * (size_t)n);
  double *rho = alloc(sizeof(double) * pic_grid * pic_grid);
  for (long i = 0; i < n; i++) {
    /* Clustered, so that the deposits are neither uniform nor sorted. */
    double cx = (double)(i % 5) * 50 + 20, cy = (double)(i % 3) * 80 + 30;
    px[i] = cx + 30 * next_unit(), py[i] = cy + 30 * next_unit();
    vx[i] = next_unit() - 0.5, vy[i] = next_unit() - 0.5;
  }
  for (long s = 0; s < steps; s++) {
    memset(rho, 0, sizeof(double) * pic_grid * pic_grid);
    for (long i = 0; i < n; i++) {
      long gx = (long)px[i], gy = (long)py[i];
      double fx = px[i] - (double)gx, fy = py[i] - (double)gy;
      long x1 = (gx + 1) % pic_grid, y1 = (gy + 1) % pic_grid;
      rho[gy * pic_grid + gx] += (1 - fx) * (1 - fy);
      rho[gy * pic_grid + x1] += fx * (1 - fy);
      rho[y1 * pic_grid + gx] += (1 - fx) * fy;
      rho[y1 * pic_grid + x1] += fx * fy;
    }
    for (long i = 0; i < n; i++) {
      long gx = (long)px[i], gy = (long)py[i];
      long x1 = (gx + 1) % pic_grid, y1 = (gy + 1) % pic_grid;
      double ex = rho[gy * pic_grid + x1] - rho[gy * pic_grid + gx];
      double ey = rho[y1 * pic_grid + gx] - rho[gy * pic_grid + gx];
      vx[i] = 0.99 * vx[i] - 1e-3 * ex, vy[i] = 0.99 * vy[i] - 1e-3 * ey;
      px[i] = fmod(px[i] + vx[i] + pic_grid, pic_grid), py[i] = fmod(py[i] + vy[i] + pic_grid, pic_grid);
    }
  }
  double sum = 0;
  for (long i = 0; i < n; i += 101) sum += px[i] + py[i];
  printf("pic %ld x %ld: %.6e\n", n, steps, sum);
  free(px), free(py), free(vx), free(vy), free(rho);
  return 0;
}

static long positive(const char *text, const char *what) {
  char *end = NULL;
  long value = strtol(text, &end, 10);
  if (!*text || *end || value <= 0) {
    fprintf(stderr, "pv-numeric: %s must be a positive integer, got '%s'\n", what, text);
    exit(2);
  }
  return value;
}

static int usage(void) {
  fprintf(stderr,
          "usage: pv-numeric blackscholes N REPS | mandelbrot N ITERS | spectralnorm N ITERS | dct N REPS\n"
          "                  | raytrace N SPHERES | sgd N EPOCHS | pic N STEPS\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 4) return usage();
  const char *kernel = argv[1];
  long a = positive(argv[2], "the first argument"), b = positive(argv[3], "the second argument");
  if (!strcmp(kernel, "blackscholes")) return blackscholes(a, b);
  if (!strcmp(kernel, "mandelbrot")) return mandelbrot(a, b);
  if (!strcmp(kernel, "spectralnorm")) return spectralnorm(a, b);
  if (!strcmp(kernel, "dct")) return dct(a, b);
  if (!strcmp(kernel, "raytrace")) return raytrace(a, b);
  if (!strcmp(kernel, "sgd")) return sgd(a, b);
  if (!strcmp(kernel, "pic")) return pic(a, b);
  fprintf(stderr, "pv-numeric: unknown kernel '%s'\n", kernel);
  return usage();
}
