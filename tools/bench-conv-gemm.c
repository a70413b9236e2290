/* dnnl_sgemm on the three GEMMs of the demo model's second convolution (128 -> 128 channels,
   kernel 3, stride 2, 2,880 output frames: batch 8 x 1.8 s), as the C backend's im2col path calls
   them, in GFLOP/s (best of 7): each item's GEMM threaded in turn, and the items over the
   threads with one-thread GEMMs. It tells how close the conv stack's GEMMs run to the CPU's
   peak (docs/architecture.md, "On a CPU without AVX-512 or bf16").
     cc -O3 -march=native -fopenmp tools/bench-conv-gemm.c -o /tmp/bench-conv-gemm -ldnnl && /tmp/bench-conv-gemm */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float *filled(long n) { float *p = aligned_alloc(64, (n * 4 + 63) / 64 * 64); for (long i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f; return p; }
/* per item: forward W[128x384] x cols[384x2880]; input gradient W^T[384x128] x dy[128x2880]; weight gradient dy[128x2880] x cols^T[2880x384] */
int main(void) {
  long M[3] = {128, 384, 128}, N[3] = {2880, 2880, 384}, K[3] = {384, 128, 2880};
  int ta[3] = {0, 1, 0}, tb[3] = {0, 0, 1};
  const char *name[3] = {"forward", "input grad", "weight grad"};
  for (int s = 0; s < 3; s++) {
    float *a = filled(M[s] * K[s]), *b = filled(K[s] * N[s]), *c = filled(M[s] * N[s] * 8);
    for (int mode = 0; mode < 2; mode++) {
      double best = 1e9;
      for (int r = 0; r < 7; r++) {
        double t0 = now();
        if (mode == 0) { /* threaded GEMM per item, items in turn */
          for (int item = 0; item < 8; item++)
            dnnl_sgemm(ta[s] ? 'T' : 'N', tb[s] ? 'T' : 'N', M[s], N[s], K[s], 1, a, ta[s] ? M[s] : K[s], b, tb[s] ? K[s] : N[s], 0, c + item * M[s] * N[s], N[s]);
        } else { /* items over the threads, one-thread GEMMs */
          #pragma omp parallel for
          for (int item = 0; item < 8; item++)
            dnnl_sgemm(ta[s] ? 'T' : 'N', tb[s] ? 'T' : 'N', M[s], N[s], K[s], 1, a, ta[s] ? M[s] : K[s], b, tb[s] ? K[s] : N[s], 0, c + item * M[s] * N[s], N[s]);
        }
        double t = now() - t0; if (t < best) best = t;
      }
      printf("%-12s %s: %.2f ms, %.1f GFLOP/s\n", name[s], mode ? "items/threads" : "threaded gemm", best * 1e3, 8 * 2.0 * M[s] * N[s] * K[s] / best / 1e9);
    }
  }
  return 0;
}
