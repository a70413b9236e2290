/* conv1d on the base model's feature-encoder shapes: im2col + sgemm (what the C backend
   emits) against a direct loop (output-stationary, the tap loop innermost over time so it
   vectorises). Single sample. cc -O3 -march=native bench-conv1d.c $(pkg-config --cflags --libs openblas) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static void im2col_gemm(const float *x, const float *w, float *y, float *cols, int C, int L, int F, int K, int s, int Lo) {
  for (int c = 0; c < C; c++)
    for (int k = 0; k < K; k++)
      for (int t = 0; t < Lo; t++) cols[(c * K + k) * Lo + t] = x[c * L + t * s + k];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, F, Lo, C * K, 1, w, C * K, cols, Lo, 0, y, Lo);
}

static void direct(const float *x, const float *w, float *y, int C, int L, int F, int K, int s, int Lo) {
  memset(y, 0, sizeof(float) * F * Lo);
  for (int f = 0; f < F; f++)
    for (int c = 0; c < C; c++)
      for (int k = 0; k < K; k++) {
        const float wv = w[(f * C + c) * K + k];
        const float *row = x + c * L + k;
        float *out = y + f * Lo;
        for (int t = 0; t < Lo; t++) out[t] += wv * row[t * s];
      }
}

int main(void) {
  /* (C, L, F, K, stride) of conv layers 0, 1 and 5 at 10 s of audio. */
  int shapes[][5] = {{1, 160000, 512, 10, 5}, {512, 31999, 512, 3, 2}, {512, 998, 512, 2, 2}};
  for (int i = 0; i < 3; i++) {
    int C = shapes[i][0], L = shapes[i][1], F = shapes[i][2], K = shapes[i][3], s = shapes[i][4];
    int Lo = (L - K) / s + 1;
    float *x = malloc(sizeof(float) * C * L), *w = malloc(sizeof(float) * F * C * K);
    float *y = malloc(sizeof(float) * F * Lo), *cols = malloc(sizeof(float) * C * K * Lo);
    for (long j = 0; j < (long)C * L; j++) x[j] = (float)rand() / RAND_MAX - 0.5f;
    for (long j = 0; j < (long)F * C * K; j++) w[j] = (float)rand() / RAND_MAX - 0.5f;
    double best[2] = {1e9, 1e9};
    for (int r = 0; r < 3; r++) {
      double t0 = now(); im2col_gemm(x, w, y, cols, C, L, F, K, s, Lo); double t1 = now();
      direct(x, w, y, C, L, F, K, s, Lo); double t2 = now();
      if (t1 - t0 < best[0]) best[0] = t1 - t0;
      if (t2 - t1 < best[1]) best[1] = t2 - t1;
    }
    printf("conv C=%d L=%d F=%d K=%d s=%d: im2col+sgemm %.4f s, direct %.4f s\n", C, L, F, K, s, best[0], best[1]);
    free(x); free(w); free(y); free(cols);
  }
  return 0;
}
