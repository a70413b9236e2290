/* The bf16 matmul throughput of the core this process runs on: oneDNN's single-threaded matmul
   (AMX tiles where the CPU has them) on a 256 x 768 x 768 product, the shape of a base model's
   attention projection split over two threads. Prints the best of 50 runs in GFLOP/s and the
   kernel oneDNN chose. tools/probe-amx-speed runs it pinned to each core in turn. */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return time.tv_sec + time.tv_nsec * 1e-9;
}

int main(void) {
  const int64_t m = 256, n = 768, k = 768;
  omp_set_num_threads(1);
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
    fprintf(stderr, "probe-amx-speed: no oneDNN CPU engine\n");
    return 1;
  }
  dnnl_memory_desc_t a, b, c;
  dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
  dnnl_dims_t a_strides = {k, 1}, b_strides = {1, k}, c_strides = {n, 1}; /* B transposed, as a linear layer's weight */
  dnnl_matmul_desc_t desc;
  dnnl_primitive_desc_t primitive_desc;
  dnnl_primitive_t matmul;
  if (dnnl_memory_desc_init_by_strides(&a, 2, a_dims, dnnl_bf16, a_strides) != dnnl_success ||
      dnnl_memory_desc_init_by_strides(&b, 2, b_dims, dnnl_bf16, b_strides) != dnnl_success ||
      dnnl_memory_desc_init_by_strides(&c, 2, c_dims, dnnl_f32, c_strides) != dnnl_success ||
      dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c) != dnnl_success ||
      dnnl_primitive_desc_create(&primitive_desc, &desc, NULL, engine, NULL) != dnnl_success ||
      dnnl_primitive_create(&matmul, primitive_desc) != dnnl_success) {
    fprintf(stderr, "probe-amx-speed: oneDNN has no bf16 matmul here\n");
    return 1;
  }
  const char *kernel = "?";
  dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0, &kernel);
  uint16_t *a_values = malloc(m * k * sizeof *a_values), *b_values = malloc(k * n * sizeof *b_values);
  float *c_values = malloc(m * n * sizeof *c_values);
  if (!a_values || !b_values || !c_values) return 1;
  for (int64_t i = 0; i < m * k; i++) a_values[i] = 0x3f80; /* 1.0 */
  for (int64_t i = 0; i < k * n; i++) b_values[i] = 0x3f80;
  dnnl_memory_t memories[3];
  dnnl_memory_create(&memories[0], &a, engine, a_values);
  dnnl_memory_create(&memories[1], &b, engine, b_values);
  dnnl_memory_create(&memories[2], &c, engine, c_values);
  dnnl_exec_arg_t arguments[3] = {{DNNL_ARG_SRC, memories[0]}, {DNNL_ARG_WEIGHTS, memories[1]}, {DNNL_ARG_DST, memories[2]}};
  double best = 1e9;
  for (int run = 0; run < 53; run++) {
    const double start = now();
    dnnl_primitive_execute(matmul, stream, 3, arguments);
    dnnl_stream_wait(stream);
    const double elapsed = now() - start;
    if (run >= 3 && elapsed < best) best = elapsed; /* the first runs warm the tiles up */
  }
  if (c_values[0] != (float)k) {
    fprintf(stderr, "probe-amx-speed: wrong product (%g, expected %lld)\n", c_values[0], (long long)k);
    return 1;
  }
  printf("%.0f GFLOP/s (%s, %lld x %lld x %lld, best of 50)\n", 2.0 * m * n * k / best / 1e9, kernel, (long long)m, (long long)n, (long long)k);
  return 0;
}
