/* Nanoseconds per element of the C prelude's vectorised transcendental functions, one thread,
   on 16,384 floats in L1 (best of five runs of 400 passes): asrc_geluf (gelu), asrc_gelu_gradf
   (its gradient, dy = 1) and asrc_expf, as the emitted `omp simd` loops call them; and each
   one's worst error against glibc in double over a grid (gelu relative where the result is a
   normal float, gelu_grad absolute, expf relative above the subnormals), as
   ElementwiseParityTests.geluAcrossItsRange measures gelu's. tools/bench-gelu extracts the
   prelude from the Swift sources (of the working tree, or of a git revision) and builds this. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xmmintrin.h>

#define ASRC_FLUSH_SUBNORMALS 1
#include "asrc-prelude.h"

enum { count = 1 << 14, passes = 400, runs = 5 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

__attribute__((noinline)) static void gelu(const float *restrict x, float *restrict y, int64_t n) {
  #pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = asrc_geluf(x[i]);
}
__attribute__((noinline)) static void gelu_grad(const float *restrict x, float *restrict y, int64_t n) {
  #pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = asrc_gelu_gradf(x[i], 1.0f);
}
__attribute__((noinline)) static void exponential(const float *restrict x, float *restrict y, int64_t n) {
  #pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = asrc_expf(x[i]);
}

static double nanoseconds(void (*function)(const float *restrict, float *restrict, int64_t), const float *x, float *y) {
  double best = 1e30;
  for (int run = 0; run < runs; run++) {
    const double start = now();
    for (int pass = 0; pass < passes; pass++) function(x, y, count);
    const double elapsed = (now() - start) * 1e9 / ((double)passes * count);
    if (elapsed < best) best = elapsed;
  }
  return best;
}

int main(void) {
  float *x = malloc(count * sizeof(float)), *y = malloc(count * sizeof(float));
  if (!x || !y) return 1;
  for (int i = 0; i < count; i++) x[i] = (float)((i % 1000) - 500) / 100.0f; /* [-5, 5) */
  double gelu_error = 0, grad_error = 0, exp_error = 0;
  for (double point = -20; point <= 20; point += 1e-3) {
    const float value = (float)point;
    const double v = value, cdf = 0.5 * erfc(-v / sqrt(2.0));
    const double exact_gelu = v * cdf, exact_grad = cdf + v * exp(-0.5 * v * v) / sqrt(2 * M_PI);
    if (fabs(exact_gelu) >= 1.17549435e-38) gelu_error = fmax(gelu_error, fabs(asrc_geluf(value) - exact_gelu) / fabs(exact_gelu));
    grad_error = fmax(grad_error, fabs(asrc_gelu_gradf(value, 1.0f) - exact_grad));
  }
  for (double point = -87; point <= 88; point += 1e-3) {
    const double exact = exp((double)(float)point);
    exp_error = fmax(exp_error, fabs(asrc_expf((float)point) - exact) / exact);
  }
  printf("gelu       %.2f ns an element, worst relative error %.2g\n", nanoseconds(gelu, x, y), gelu_error);
  printf("gelu_grad  %.2f ns an element, worst absolute error %.2g\n", nanoseconds(gelu_grad, x, y), grad_error);
  printf("expf       %.2f ns an element, worst relative error %.2g\n", nanoseconds(exponential, x, y), exp_error);
  free(x);
  free(y);
  return 0;
}
