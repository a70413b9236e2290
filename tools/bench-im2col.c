/* The im2col copy of the C backend's convolutions, with a bounds test on every element (as it
   was until 2026-11-27) and with the in-range positions computed once per row (as
   ContractionEmitter emits it now), each followed by the item's dnnl_sgemm, one item per
   thread: the small demo model's second convolution (8 × 128 × 5,759 in, kernel 3, stride 2).
   Prints the best of 15 for the whole convolution and the im2col's CPU time, three times.
   cc -O3 -march=native -fopenmp -ffp-contract=off -fno-math-errno -fno-trapping-math tools/bench-im2col.c -o /tmp/bench-im2col -ldnnl */
#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int B=8,C=128,F=128,K=3,S=2,L=5759,T;
float *x,*w,*y;
static void im2col_checked(float*cols,const float*xs,int64_t n){
  for (int64_t c = 0; c < C; c++) {
    const float *row = xs + (n * C + c) * L;
    for (int64_t k = 0; k < K; k++) {
      float *out = cols + (c * K + k) * T;
      const int64_t shift = k;
      for (int64_t t = 0; t < T; t++) { const int64_t p = t * S + shift; out[t] = p >= 0 && p < L ? row[p] : 0; }
    }
  }
}
static void im2col_clean(float*cols,const float*xs,int64_t n){
  for (int64_t c = 0; c < C; c++) {
    const float *row = xs + (n * C + c) * L;
    for (int64_t k = 0; k < K; k++) {
      float *out = cols + (c * K + k) * T;
      const int64_t shift = k;
      const int64_t first = shift >= 0 ? 0 : (S - 1 - shift) / S;
      const int64_t last_inside = L - 1 - shift, end = last_inside < 0 ? 0 : (last_inside / S + 1 < T ? last_inside / S + 1 : T);
      for (int64_t t = 0; t < first; t++) out[t] = 0;
      const float *src = row + shift;
      if (S == 2) { for (int64_t t = first; t < end; t++) out[t] = src[2 * t]; }
      else { for (int64_t t = first; t < end; t++) out[t] = src[t * S]; }
      for (int64_t t = end; t < T; t++) out[t] = 0;
    }
  }
}
int main(int argc,char**argv){
  T=(L-K)/S+1;
  x=malloc((size_t)B*C*L*4);w=malloc((size_t)F*C*K*4);y=malloc((size_t)B*F*T*4);
  for(size_t i=0;i<(size_t)B*C*L;i++)x[i]=rand()/(float)RAND_MAX-.5f; for(size_t i=0;i<(size_t)F*C*K;i++)w[i]=rand()/(float)RAND_MAX-.5f;
  for(int round=0;round<3;round++) for(int v=0;v<2;v++){
    double best=1e9,bi=1e9;
    for(int r=0;r<15;r++){
      double ti=0; double t0=now();
      #pragma omp parallel for reduction(+:ti)
      for(int n=0;n<B;n++){ float*cols=malloc((size_t)C*K*T*4); double a=now(); if(v) im2col_clean(cols,x,n); else im2col_checked(cols,x,n); ti+=now()-a;
        dnnl_sgemm('N','N',F,T,C*K,1.f,w,C*K,cols,T,0.f,y+(size_t)n*F*T,T); free(cols);}
      double t=now()-t0; if(t<best)best=t; if(ti<bi)bi=ti;
    }
    printf("%s: total %.1f ms, im2col cpu %.1f ms\n", v?"clean":"checked", best*1e3, bi*1e3);
  }
}
