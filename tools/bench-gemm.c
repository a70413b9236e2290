/* fp32 GEMM on the base model's shapes at 10 s of audio (499 frames): OpenBLAS's cblas_sgemm
   against oneDNN's dnnl_sgemm and, for the attention heads, one batched oneDNN matmul, in
   GFLOP/s (best of REPEATS calls after two warm-up calls). Which OpenBLAS kernel runs is printed
   first: on a CPU it does not recognise, DYNAMIC_ARCH falls back to Prescott (SSE3) kernels.
     cc -O3 -march=native -fopenmp tools/bench-gemm.c -o /tmp/bench-gemm \
        $(pkg-config --cflags --libs openblas) -ldnnl && /tmp/bench-gemm
   OPENBLAS_CORETYPE=SkylakeX /tmp/bench-gemm forces OpenBLAS's AVX-512 kernels for comparison. */
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPEATS 7

char *openblas_get_corename(void);

/* Row-major C[m x n] = op(A) op(B), one shape as the C backend calls it. */
typedef struct {
  const char *name;
  int ta, tb;
  long m, n, k, count; /* count: GEMMs of this shape per call (heads, groups) */
} shape;

static float *filled(long count) {
  float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
  for (long i = 0; i < count; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  return p;
}

typedef void (*gemm_fn)(const shape *, const float *, const float *, float *);

static void openblas(const shape *s, const float *a, const float *b, float *c) {
  for (long i = 0; i < s->count; i++)
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, (int)s->m, (int)s->n, (int)s->k, 1,
                a + i * s->m * s->k, s->ta ? (int)s->m : (int)s->k, b + i * s->k * s->n, s->tb ? (int)s->k : (int)s->n, 0,
                c + i * s->m * s->n, (int)s->n);
}

static void onednn(const shape *s, const float *a, const float *b, float *c) {
  for (long i = 0; i < s->count; i++)
    dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1, a + i * s->m * s->k, s->ta ? s->m : s->k,
               b + i * s->k * s->n, s->tb ? s->k : s->n, 0, c + i * s->m * s->n, s->n);
}

/* One matmul primitive over [count, m, k] x [count, k, n] (the heads or groups as its batch;
   a transposed B by strides), created once. */
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_primitive_t batched;
static dnnl_memory_t batched_memory[3];

static void batched_create(const shape *s) {
  dnnl_dims_t a = {s->count, s->m, s->k}, b = {s->count, s->k, s->n}, c = {s->count, s->m, s->n};
  dnnl_memory_desc_t ad, bd, cd;
  dnnl_memory_desc_init_by_tag(&ad, 3, a, dnnl_f32, dnnl_abc);
  dnnl_dims_t b_strides = {s->k * s->n, s->n, 1}, b_transposed = {s->k * s->n, 1, s->k};
  dnnl_memory_desc_init_by_strides(&bd, 3, b, dnnl_f32, s->tb ? b_transposed : b_strides);
  dnnl_memory_desc_init_by_tag(&cd, 3, c, dnnl_f32, dnnl_abc);
  dnnl_matmul_desc_t desc;
  dnnl_matmul_desc_init(&desc, &ad, &bd, NULL, &cd);
  dnnl_primitive_desc_t pd;
  dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL);
  const char *implementation = "";
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation);
  if (strcmp(implementation, "brg:avx512_core") != 0) printf("  (matmul implementation: %s)\n", implementation);
  dnnl_primitive_create(&batched, pd);
  dnnl_primitive_desc_destroy(pd);
  dnnl_memory_create(&batched_memory[0], &ad, engine, DNNL_MEMORY_NONE);
  dnnl_memory_create(&batched_memory[1], &bd, engine, DNNL_MEMORY_NONE);
  dnnl_memory_create(&batched_memory[2], &cd, engine, DNNL_MEMORY_NONE);
}

static void onednn_batched(const shape *s, const float *a, const float *b, float *c) {
  (void)s;
  dnnl_memory_set_data_handle(batched_memory[0], (void *)a);
  dnnl_memory_set_data_handle(batched_memory[1], (void *)b);
  dnnl_memory_set_data_handle(batched_memory[2], c);
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, batched_memory[0]}, {DNNL_ARG_WEIGHTS, batched_memory[1]}, {DNNL_ARG_DST, batched_memory[2]}};
  dnnl_primitive_execute(batched, stream, 3, args);
  dnnl_stream_wait(stream);
}

static double gflops(gemm_fn f, const shape *s, const float *a, const float *b, float *c) {
  f(s, a, b, c);
  f(s, a, b, c);
  double best = 1e30;
  for (int r = 0; r < REPEATS; r++) {
    double start = omp_get_wtime();
    f(s, a, b, c);
    double t = omp_get_wtime() - start;
    if (t < best) best = t;
  }
  return 2.0 * s->m * s->n * s->k * s->count / best * 1e-9;
}

int main(void) {
  const shape shapes[] = {
    {"linear 499x768x768 (q,k,v,out)", 0, 1, 499, 768, 768, 1},
    {"linear 499x3072x768 (ff in)", 0, 1, 499, 3072, 768, 1},
    {"linear 499x768x3072 (ff out)", 0, 1, 499, 768, 3072, 1},
    {"scores 12 x 499x499x64", 0, 0, 499, 499, 64, 12},
    {"context 12 x 499x64x499", 0, 0, 499, 64, 499, 12},
    {"conv1 im2col 512x15999x1536", 0, 0, 512, 15999, 1536, 1},
    {"conv4 im2col 512x1999x1536", 0, 0, 512, 1999, 1536, 1},
    {"conv6 im2col 512x499x1024", 0, 0, 512, 499, 1024, 1},
    {"pos conv 16 x 48x500x6144", 0, 0, 48, 500, 6144, 16},
  };
  dnnl_engine_create(&engine, dnnl_cpu, 0);
  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
  printf("OpenBLAS core %s, %d threads; OpenMP %d threads\n", openblas_get_corename(), openblas_get_num_threads(), omp_get_max_threads());
  printf("%-34s %10s %10s %10s\n", "GFLOP/s", "OpenBLAS", "dnnl_sgemm", "matmul");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const shape *s = &shapes[i];
    float *a = filled(s->m * s->k * s->count), *b = filled(s->k * s->n * s->count), *c = filled(s->m * s->n * s->count);
    double blas = gflops(openblas, s, a, b, c);
    double dnnl = gflops(onednn, s, a, b, c);
    double batch = 0;
    if (!s->ta) {
      batched_create(s);
      batch = gflops(onednn_batched, s, a, b, c);
      dnnl_primitive_destroy(batched);
      for (int j = 0; j < 3; j++) dnnl_memory_destroy(batched_memory[j]);
    }
    printf("%-34s %10.1f %10.1f %10.1f\n", s->name, blas, dnnl, batch);
    free(a), free(b), free(c);
  }
  return 0;
}
