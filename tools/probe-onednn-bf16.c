/* Probes the system oneDNN's bf16 matmul (the kernel asrc's half GEMM calls) for the two
   failures Debian's oneDNN 2.6 shows on AMX CPUs, each case in a process of its own so that a
   crash is reported rather than fatal:
     - products with a few rows and 49 to 62 columns come out wrong when oneDNN runs them on
       its own OpenMP threads (two or more), and right on one;
     - a batched product with an odd K raises SIGILL (a tile multiply) on one thread.
   asrc_gemm_half (Sources/CodegenC/HalfPrelude.swift) therefore runs every primitive on one
   thread, splits the work over threads itself, and pads an odd K.
   Build and run: tools/probe-onednn-bf16 (one line per case, with the kernel oneDNN chose). */
#include <oneapi/dnnl/dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static uint16_t to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

static float from_bf16(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

typedef struct {
  int64_t batch, m, n, k;
  int threads;
} probe_case;

/* Runs C = A B (row-major, bf16 in, f32 out) through oneDNN on `threads` OpenMP threads and
   returns the largest error against an f64 reference, divided by sqrt(k); `isa` gets the
   kernel oneDNN chose. Whether the two-thread products come out wrong depends on the process's
   history (in asrc's test runs the same product was right on some calls and wrong on others),
   so main runs each case in a process of its own. */
static double probe(probe_case p, char isa[64]) {
  omp_set_num_threads(p.threads);
  const int64_t sa = p.m * p.k, sb = p.k * p.n, sc = p.m * p.n;
  uint16_t *a = malloc(sizeof *a * sa * p.batch), *b = malloc(sizeof *b * sb * p.batch);
  float *c = calloc(sc * p.batch, sizeof *c);
  srand(1);
  for (int64_t i = 0; i < sa * p.batch; i++) a[i] = to_bf16(2.0f * rand() / RAND_MAX - 1);
  for (int64_t i = 0; i < sb * p.batch; i++) b[i] = to_bf16(2.0f * rand() / RAND_MAX - 1);
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_engine_create(&engine, dnnl_cpu, 0);
  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
  dnnl_dims_t ad = {p.batch, p.m, p.k}, bd = {p.batch, p.k, p.n}, cd = {p.batch, p.m, p.n};
  dnnl_memory_desc_t amd, bmd, cmd;
  dnnl_memory_desc_init_by_tag(&amd, 3, ad, dnnl_bf16, dnnl_abc);
  dnnl_memory_desc_init_by_tag(&bmd, 3, bd, dnnl_bf16, dnnl_abc);
  dnnl_memory_desc_init_by_tag(&cmd, 3, cd, dnnl_f32, dnnl_abc);
  dnnl_matmul_desc_t desc;
  dnnl_matmul_desc_init(&desc, &amd, &bmd, NULL, &cmd);
  /* The scratchpad is the caller's, as in asrc (one per calling thread). */
  dnnl_primitive_attr_t attributes;
  dnnl_primitive_attr_create(&attributes);
  dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user);
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t primitive;
  if (dnnl_primitive_desc_create(&pd, &desc, attributes, engine, NULL) != dnnl_success || dnnl_primitive_create(&primitive, pd) != dnnl_success) return -1;
  const char *implementation = "?";
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation);
  snprintf(isa, 64, "%s", implementation);
  const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  const size_t scratch_size = dnnl_memory_desc_get_size(smd);
  void *scratch = scratch_size ? aligned_alloc(64, (scratch_size + 63) / 64 * 64) : NULL;
  dnnl_memory_t ma, mb, mc, ms;
  dnnl_memory_create(&ma, &amd, engine, a);
  dnnl_memory_create(&mb, &bmd, engine, b);
  dnnl_memory_create(&mc, &cmd, engine, c);
  dnnl_memory_create(&ms, smd, engine, scratch);
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}, {DNNL_ARG_SCRATCHPAD, ms}};
  dnnl_primitive_execute(primitive, stream, 4, args);
  dnnl_stream_wait(stream);
  double worst = 0;
  for (int64_t item = 0; item < p.batch; item++)
    for (int64_t i = 0; i < p.m; i++)
      for (int64_t j = 0; j < p.n; j++) {
        double sum = 0;
        for (int64_t l = 0; l < p.k; l++) sum += (double)from_bf16(a[item * sa + i * p.k + l]) * from_bf16(b[item * sb + l * p.n + j]);
        worst = fmax(worst, fabs(sum - c[item * sc + i * p.n + j]) / sqrt((double)p.k));
      }
  return worst;
}

/* With no argument, runs every case in a process of its own (this program again, given the
   case's number): a fresh process, not a fork, since a forked child did not show the wrong
   products that a fresh process does. */
int main(int argc, char **argv) {
  const probe_case cases[] = {
      {1, 32, 54, 640, 1}, {1, 32, 54, 640, 2}, {1, 16, 54, 32, 1}, {1, 16, 54, 32, 2}, {1, 8, 50, 96, 2}, {1, 16, 64, 32, 2},
      {8, 208, 51, 63, 1}, {8, 208, 51, 64, 1}, {1, 1664, 51, 63, 1},
  };
  const int count = (int)(sizeof cases / sizeof cases[0]);
  if (argc > 1) {
    const probe_case p = cases[atoi(argv[1])];
    printf("batch %3ld  M %4ld  N %3ld  K %3ld  threads %d: ", (long)p.batch, (long)p.m, (long)p.n, (long)p.k, p.threads);
    fflush(stdout);
    char isa[64] = "?";
    const double worst = probe(p, isa);
    printf("%s (largest error / sqrt(K) %.2g; %s)\n", worst < 1e-4 ? "right" : "WRONG", worst, isa);
    return worst < 1e-4 ? 0 : 1;
  }
  int failures = 0;
  for (int i = 0; i < count; i++) {
    char command[4096];
    snprintf(command, sizeof command, "'%s' %d", argv[0], i);
    fflush(stdout);
    const int status = system(command);
    if (status != 0) failures++;
    if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 128)) printf("crashed: %s\n", strsignal(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status) - 128));
  }
  printf("%d of %d cases failed\n", failures, count);
  return 0;
}
