/* The emitted bf16 GEMM (asrc_gemm_half, oneDNN) against its widened f32 path on the model's shapes,
   repeated: prints the worst relative error per shape and fails on any above 1e-4. Built and
   run by tools/check-lowp-gemm (ONEDNN_MAX_CPU_ISA=AVX512_CORE_AMX tries the AMX kernels). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
#include "asrc-prelude.h"
/* Repeats asrc_gemm_half (oneDNN bf16) on model shapes, with transposes and beta 1, and compares
   each result with the widened f32 path; prints the worst relative error per shape. */
typedef struct { int ta, tb; int64_t batch, m, n, k; float beta; } shape_t;
static uint16_t to_bf16(float x) { uint32_t u; memcpy(&u, &x, 4); return (uint16_t)(u >> 16); }
int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 20;
  shape_t shapes[] = {{0,0,1,500,768,768,0},{0,1,1,500,768,768,0},{1,0,1,768,768,500,1},{0,0,1,500,3072,768,0},
                      {1,0,1,3072,768,500,1},{0,1,12,500,500,64,0},{0,0,12,500,64,500,0},{0,0,16,48,500,6144,0},{0,0,1,512,3199,1536,0}};
  int ns = sizeof shapes / sizeof shapes[0]; int bad = 0;
  for (int s = 0; s < ns; s++) {
    shape_t p = shapes[s]; int64_t sa = p.m * p.k, sb = p.k * p.n, sc = p.m * p.n;
    uint16_t *a = malloc(p.batch * sa * 2), *b = malloc(p.batch * sb * 2);
    float *c = malloc(p.batch * sc * 4), *r = malloc(p.batch * sc * 4), *c0 = malloc(p.batch * sc * 4);
    srand(s + 1);
    for (int64_t i = 0; i < p.batch * sa; i++) a[i] = to_bf16((float)rand() / RAND_MAX - 0.5f);
    for (int64_t i = 0; i < p.batch * sb; i++) b[i] = to_bf16((float)rand() / RAND_MAX - 0.5f);
    for (int64_t i = 0; i < p.batch * sc; i++) c0[i] = (float)rand() / RAND_MAX - 0.5f;
    int64_t lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
    memcpy(r, c0, p.batch * sc * 4);
    for (int64_t it = 0; it < p.batch; it++)
      asrc_gemm_half_widened(0, p.ta, p.tb, p.m, p.n, p.k, a + it * sa, lda, b + it * sb, ldb, p.beta, r + it * sc, p.n);
    double worst = 0; int fails = 0;
    for (int rep = 0; rep < reps; rep++) {
      memcpy(c, c0, p.batch * sc * 4);
      asrc_gemm_half(0, p.ta, p.tb, p.batch, p.m, p.n, p.k, a, lda, sa, b, ldb, sb, p.beta, c, p.n, sc);
      double num = 0, den = 0;
      for (int64_t i = 0; i < p.batch * sc; i++) { double d = c[i] - r[i]; num += d * d; den += (double)r[i] * r[i]; }
      double rel = sqrt(num / den); if (rel > worst) worst = rel; if (rel > 1e-4) fails++;
    }
    printf("shape %d ta%d tb%d %ldx%ldx%ldx%ld beta%.0f: worst rel %.2e, %d of %d over 1e-4\n", s, p.ta, p.tb, p.batch, p.m, p.n, p.k, p.beta, worst, fails, reps);
    bad += fails; free(a); free(b); free(c); free(r); free(c0);
  }
  printf("isa %d; %s\n", (int)dnnl_get_effective_cpu_isa(), bad ? "WRONG RESULTS" : "all match");
  return bad != 0;
}
