/* GFLOP/s of the GEMMs a low-precision asrc model runs, by implementation:
     openblas-f32   cblas_sgemm, what the C backend calls for f32 today;
     onednn-*       oneDNN's matmul in f32, bf16 and f16 (f32 destination), weights reordered
                    once to its preferred blocked layout outside the timing (its best case);
     own-vdpbf16ps  a 12 x 32 AVX512-BF16 micro-kernel with Goto blocking (below; a candidate,
                    not emitted);
     asrc-bf16/f16  asrc_gemm_half as the C backend emits it (HalfPrelude.gemm: oneDNN on
                    plain row-major operands, its primitive cached per shape, else widened to
                    f32 for OpenBLAS).
   tools/bench-lowp-gemm extracts the emitted preludes from the Swift sources, builds and runs
   this. Best of five timed runs after one warm-up; batched shapes (attention, grouped conv) are
   one call per item except for asrc-*, which pass the batch to oneDNN as the emitter does. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>

#include "asrc-prelude.h"

#ifdef __AVX512BF16__
#include <immintrin.h>
/* A candidate measured against oneDNN, not emitted: bf16 GEMM on AVX512-BF16 (vdpbf16ps: 16 lanes, each a sum of two bf16 products into f32).
   Goto's blocking: B is packed per (KC x NC) block into 32-column panels of k pairs (the
   instruction's pair-interleaved layout), A per (MC x KC) block into 12-row panels of k pairs;
   a 12 x 32 micro-kernel keeps 24 accumulators in registers. k is padded to even with zeros.
   Note that vdpbf16ps treats subnormal inputs as zero and flushes subnormal results. */
enum { ASRC_BF16_MR = 12, ASRC_BF16_NR = 32, ASRC_BF16_KC = 384, ASRC_BF16_MC = 96, ASRC_BF16_NC = 1536 };

static inline uint16_t asrc_half_at(const uint16_t *x, int trans, int64_t ld, int64_t row, int64_t col) {
  return trans ? x[col * ld + row] : x[row * ld + col];
}

/* Packs op(B)[k0 .. k0+kc) x [n0 .. n0+nc) as panels of NR columns: for each pair p, NR lanes
   of (B[2p][j], B[2p+1][j]). Out-of-range elements are zero. */
static void asrc_bf16_pack_b(const uint16_t *b, int tb, int64_t ldb, int64_t k, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                             int64_t nc, uint16_t *packed) {
  const int64_t pairs = (kc + 1) / 2;
  for (int64_t j0 = 0; j0 < nc; j0 += ASRC_BF16_NR) {
    uint16_t *panel = packed + j0 * pairs * 2;
    for (int64_t p = 0; p < pairs; p++) {
      for (int64_t j = 0; j < ASRC_BF16_NR; j++) {
        const int64_t col = n0 + j0 + j, row = k0 + 2 * p;
        const int inside = j0 + j < nc && col < n;
        panel[(p * ASRC_BF16_NR + j) * 2] = inside && row < k ? asrc_half_at(b, tb, ldb, row, col) : 0;
        panel[(p * ASRC_BF16_NR + j) * 2 + 1] = inside && row + 1 < k && 2 * p + 1 < kc ? asrc_half_at(b, tb, ldb, row + 1, col) : 0;
      }
    }
  }
}

/* Packs op(A)[m0 .. m0+mc) x [k0 .. k0+kc) as panels of MR rows: for each pair p, MR pairs
   (A[i][2p], A[i][2p+1]). */
static void asrc_bf16_pack_a(const uint16_t *a, int ta, int64_t lda, int64_t m, int64_t k, int64_t m0, int64_t mc, int64_t k0,
                             int64_t kc, uint16_t *packed) {
  const int64_t pairs = (kc + 1) / 2;
  for (int64_t i0 = 0; i0 < mc; i0 += ASRC_BF16_MR) {
    uint16_t *panel = packed + i0 * pairs * 2;
    for (int64_t i = 0; i < ASRC_BF16_MR; i++) {
      const int64_t row = m0 + i0 + i;
      const int inside = i0 + i < mc && row < m;
      for (int64_t p = 0; p < pairs; p++) {
        const int64_t col = k0 + 2 * p;
        panel[(p * ASRC_BF16_MR + i) * 2] = inside && col < k ? asrc_half_at(a, ta, lda, row, col) : 0;
        panel[(p * ASRC_BF16_MR + i) * 2 + 1] = inside && col + 1 < k && 2 * p + 1 < kc ? asrc_half_at(a, ta, lda, row, col + 1) : 0;
      }
    }
  }
}

/* C[rows x cols] (rows <= MR, cols <= NR) = (accumulate ? C : beta C) + A_panel B_panel. */
static void asrc_bf16_micro(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc, int64_t rows, int64_t cols,
                            int accumulate, float beta) {
  __m512 acc[ASRC_BF16_MR][2];
  for (int i = 0; i < ASRC_BF16_MR; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
  const int32_t *a32 = (const int32_t *)a;
  for (int64_t p = 0; p < pairs; p++) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * ASRC_BF16_NR * 2);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * ASRC_BF16_NR * 2 + 32);
    for (int i = 0; i < ASRC_BF16_MR; i++) {
      const __m512bh ai = (__m512bh)_mm512_set1_epi32(a32[p * ASRC_BF16_MR + i]);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
    }
  }
  const __mmask16 mask0 = cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1u);
  const __mmask16 mask1 = cols >= 32 ? (__mmask16)0xffff : cols <= 16 ? (__mmask16)0 : (__mmask16)((1u << (cols - 16)) - 1u);
  for (int64_t i = 0; i < rows; i++) {
    float *row = c + i * ldc;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(mask0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(mask1, row + 16));
    } else if (beta != 0) {
      v0 = _mm512_add_ps(v0, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask0, row)));
      v1 = _mm512_add_ps(v1, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask1, row + 16)));
    }
    _mm512_mask_storeu_ps(row, mask0, v0);
    _mm512_mask_storeu_ps(row + 16, mask1, v1);
  }
}

static int own_gemm_bf16(int ta, int tb, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda, const uint16_t *b,
                          int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
    return 0;
  }
  const int64_t nc_max = n < ASRC_BF16_NC ? (n + ASRC_BF16_NR - 1) / ASRC_BF16_NR * ASRC_BF16_NR : ASRC_BF16_NC;
  const int64_t pairs_max = (ASRC_BF16_KC + 1) / 2;
  uint16_t *packed_b = (uint16_t *)asrc_alloc(nc_max * pairs_max * 2 * (int64_t)sizeof(uint16_t));
  if (!packed_b) return -1;
  int failed = 0;
  for (int64_t n0 = 0; n0 < n; n0 += ASRC_BF16_NC) {
    const int64_t nc = n - n0 < ASRC_BF16_NC ? n - n0 : ASRC_BF16_NC;
    for (int64_t k0 = 0; k0 < k; k0 += ASRC_BF16_KC) {
      const int64_t kc = k - k0 < ASRC_BF16_KC ? k - k0 : ASRC_BF16_KC, pairs = (kc + 1) / 2;
      asrc_bf16_pack_b(b, tb, ldb, k, n, k0, kc, n0, nc, packed_b);
      const int64_t blocks = (m + ASRC_BF16_MC - 1) / ASRC_BF16_MC;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(| : failed)
#endif
      for (int64_t block = 0; block < blocks; block++) {
        const int64_t m0 = block * ASRC_BF16_MC, mc = m - m0 < ASRC_BF16_MC ? m - m0 : ASRC_BF16_MC;
        uint16_t *packed_a = (uint16_t *)asrc_alloc(ASRC_BF16_MC * pairs_max * 2 * (int64_t)sizeof(uint16_t));
        if (!packed_a) { failed |= 1; continue; }
        asrc_bf16_pack_a(a, ta, lda, m, k, m0, mc, k0, kc, packed_a);
        for (int64_t j0 = 0; j0 < nc; j0 += ASRC_BF16_NR) {
          for (int64_t i0 = 0; i0 < mc; i0 += ASRC_BF16_MR) {
            const int64_t rows = mc - i0 < ASRC_BF16_MR ? mc - i0 : ASRC_BF16_MR, cols = nc - j0 < ASRC_BF16_NR ? nc - j0 : ASRC_BF16_NR;
            asrc_bf16_micro(pairs, packed_a + i0 * pairs * 2, packed_b + j0 * pairs * 2, c + (m0 + i0) * ldc + n0 + j0, ldc, rows, cols,
                            k0 > 0, beta);
          }
        }
        free(packed_a);
      }
    }
  }
  free(packed_b);
  return failed ? -1 : 0;
}
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
  const char *name;
  int64_t batch, m, k, n;
} shape_t;

typedef struct {
  int64_t batch, m, k, n;
  float *a32, *b32, *c;
  uint16_t *a16, *b16, *ah, *bh;
} problem_t;

enum { PLAIN_SGEMM, DNNL_F32, DNNL_BF16, DNNL_F16, OWN_VDPBF16PS, ASRC_BF16, ASRC_F16, METHODS };
static const char *method_names[METHODS] = {"openblas-f32", "onednn-f32", "onednn-bf16", "onednn-f16", "own-vdpbf16ps", "asrc-bf16", "asrc-f16"};

/* oneDNN: one matmul primitive per shape, weights reordered once. */
typedef struct {
  dnnl_primitive_t matmul;
  dnnl_memory_t src, weights, dst;
  int ok;
} dnnl_case_t;

static dnnl_engine_t engine;
static dnnl_stream_t stream;
/* The implementation oneDNN chose for f32, bf16 and f16 (the last shape's). */
static const char *dnnl_kernels[3];

static dnnl_case_t dnnl_prepare(problem_t *p, dnnl_data_type_t type) {
  dnnl_case_t out = {0};
  dnnl_memory_desc_t a_md, b_plain, b_any, c_md;
  dnnl_dims_t a_dims = {p->batch, p->m, p->k}, b_dims = {p->batch, p->k, p->n}, c_dims = {p->batch, p->m, p->n};
  dnnl_memory_desc_init_by_tag(&a_md, 3, a_dims, type, dnnl_abc);
  dnnl_memory_desc_init_by_tag(&b_plain, 3, b_dims, type, dnnl_abc);
  dnnl_memory_desc_init_by_tag(&b_any, 3, b_dims, type, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&c_md, 3, c_dims, dnnl_f32, dnnl_abc);
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, &a_md, &b_any, NULL, &c_md) != dnnl_success) return out;
  dnnl_primitive_desc_t pd;
  if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success) return out;
  const char *impl = NULL;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  void *a = type == dnnl_f32 ? (void *)p->a32 : type == dnnl_bf16 ? (void *)p->a16 : (void *)p->ah;
  void *b = type == dnnl_f32 ? (void *)p->b32 : type == dnnl_bf16 ? (void *)p->b16 : (void *)p->bh;
  dnnl_memory_t b_plain_memory;
  dnnl_memory_create(&out.src, &a_md, engine, a);
  dnnl_memory_create(&b_plain_memory, &b_plain, engine, b);
  dnnl_memory_create(&out.weights, w_md, engine, DNNL_MEMORY_ALLOCATE);
  dnnl_memory_create(&out.dst, &c_md, engine, p->c);
  dnnl_primitive_desc_t reorder_pd;
  dnnl_primitive_t reorder;
  dnnl_reorder_primitive_desc_create(&reorder_pd, &b_plain, engine, w_md, engine, NULL);
  dnnl_primitive_create(&reorder, reorder_pd);
  dnnl_exec_arg_t reorder_args[2] = {{DNNL_ARG_FROM, b_plain_memory}, {DNNL_ARG_TO, out.weights}};
  dnnl_primitive_execute(reorder, stream, 2, reorder_args);
  dnnl_stream_wait(stream);
  dnnl_primitive_create(&out.matmul, pd);
  dnnl_kernels[type == dnnl_f32 ? 0 : type == dnnl_bf16 ? 1 : 2] = impl;
  out.ok = 1;
  return out;
}

static int run(int method, problem_t *p, dnnl_case_t *dnnl) {
  const int64_t m = p->m, k = p->k, n = p->n;
  switch (method) {
  case PLAIN_SGEMM:
    for (int64_t i = 0; i < p->batch; i++) asrc_sgemm(0, 0, m, n, k, p->a32 + i * m * k, k, p->b32 + i * k * n, n, 0, p->c + i * m * n, n);
    return 0;
  case DNNL_F32:
  case DNNL_BF16:
  case DNNL_F16: {
    if (!dnnl->ok) return -1;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, dnnl->src}, {DNNL_ARG_WEIGHTS, dnnl->weights}, {DNNL_ARG_DST, dnnl->dst}};
    dnnl_primitive_execute(dnnl->matmul, stream, 3, args);
    dnnl_stream_wait(stream);
    return 0;
  }
  case OWN_VDPBF16PS:
#ifdef __AVX512BF16__
    for (int64_t i = 0; i < p->batch; i++)
      if (own_gemm_bf16(0, 0, m, n, k, p->a16 + i * m * k, k, p->b16 + i * k * n, n, 0, p->c + i * m * n, n)) return -1;
    return 0;
#else
    return -1;
#endif
  case ASRC_BF16:
    return asrc_gemm_half(0, 0, 0, p->batch, m, n, k, p->a16, k, m * k, p->b16, n, k * n, 0, p->c, n, m * n);
  default:
    return asrc_gemm_half(1, 0, 0, p->batch, m, n, k, p->ah, k, m * k, p->bh, n, k * n, 0, p->c, n, m * n);
  }
}

int main(int argc, char **argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  dnnl_engine_create(&engine, dnnl_cpu, 0);
  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
  const dnnl_version_t *version = dnnl_version();
  printf("threads %d; oneDNN %d.%d.%d; own-vdpbf16ps %s\n", threads, version->major, version->minor, version->patch,
#ifdef __AVX512BF16__
         "on AVX512-BF16"
#else
         "not built (no __AVX512BF16__)"
#endif
  );
  const shape_t shapes[] = {
      {"linear 500x768x768 (q, k, v, out)", 1, 500, 768, 768},
      {"linear 500x768x3072 (ffn in)", 1, 500, 768, 3072},
      {"linear 500x3072x768 (ffn out)", 1, 500, 3072, 768},
      {"linear 2000x768x3072", 1, 2000, 768, 3072},
      {"attention 12 x 500x64x500 (q k^T)", 12, 500, 64, 500},
      {"attention 12 x 500x500x64 (p v)", 12, 500, 500, 64},
      {"conv 512x1536x3199 (layer 1 at 2 s)", 1, 512, 1536, 3199},
      {"pos conv 16 x 48x6144x500 (groups)", 16, 48, 6144, 500},
  };
  printf("%-38s", "shape (batch x M x K x N), GFLOP/s");
  for (int method = 0; method < METHODS; method++) printf(" %13s", method_names[method]);
  printf("\n");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    problem_t p = {.batch = shapes[s].batch, .m = shapes[s].m, .k = shapes[s].k, .n = shapes[s].n};
    const int64_t a_count = p.batch * p.m * p.k, b_count = p.batch * p.k * p.n, c_count = p.batch * p.m * p.n;
    p.a32 = malloc((size_t)a_count * 4); p.b32 = malloc((size_t)b_count * 4); p.c = malloc((size_t)c_count * 4);
    p.a16 = malloc((size_t)a_count * 2); p.b16 = malloc((size_t)b_count * 2);
    p.ah = malloc((size_t)a_count * 2); p.bh = malloc((size_t)b_count * 2);
    srand(7);
    for (int64_t i = 0; i < a_count; i++) { p.a32[i] = (float)rand() / RAND_MAX - 0.5f; p.a16[i] = asrc_f32_to_bf16(p.a32[i]); p.ah[i] = asrc_f32_to_f16(p.a32[i]); }
    for (int64_t i = 0; i < b_count; i++) { p.b32[i] = (float)rand() / RAND_MAX - 0.5f; p.b16[i] = asrc_f32_to_bf16(p.b32[i]); p.bh[i] = asrc_f32_to_f16(p.b32[i]); }
    const double flops = 2.0 * (double)p.batch * (double)p.m * (double)p.k * (double)p.n;
    printf("%-38s", shapes[s].name);
    for (int method = 0; method < METHODS; method++) {
      dnnl_case_t dnnl = {0};
      if (method == DNNL_F32) dnnl = dnnl_prepare(&p, dnnl_f32);
      if (method == DNNL_BF16) dnnl = dnnl_prepare(&p, dnnl_bf16);
      if (method == DNNL_F16) dnnl = dnnl_prepare(&p, dnnl_f16);
      double best = INFINITY;
      int failed = 0;
      for (int repeat = 0; repeat < 6 && !failed; repeat++) {
        const double start = now();
        failed = run(method, &p, &dnnl);
        const double elapsed = now() - start;
        if (repeat > 0 && elapsed < best) best = elapsed;
      }
      if (failed) printf(" %13s", "n/a");
      else printf(" %13.0f", flops / best * 1e-9);
      fflush(stdout);
    }
    printf("\n");
    free(p.a32); free(p.b32); free(p.c); free(p.a16); free(p.b16); free(p.ah); free(p.bh);
  }
  printf("oneDNN kernels: f32 %s, bf16 %s, f16 %s\n", dnnl_kernels[0] ? dnnl_kernels[0] : "none", dnnl_kernels[1] ? dnnl_kernels[1] : "none",
         dnnl_kernels[2] ? dnnl_kernels[2] : "none");
  return 0;
}
