/// The helpers every generated model.c starts with: floor division as the IR defines it,
/// the interpreter's saturating float-to-integer conversion, scratch memory, errors, the
/// row-major GEMM wrappers (f32 on oneDNN, f64 on OpenBLAS), the threshold for OpenMP loops
/// and the per-call profile.
enum CPrelude {
  static let text = """
    #include <math.h>
    #include <omp.h>
    #include <pthread.h>
    #include <stdarg.h>
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>
    #include <cblas.h>
    #if defined(__x86_64__) || defined(__i386__)
    #include <xmmintrin.h>
    #endif
    #include <oneapi/dnnl/dnnl.h>

    /* Loops over fewer elements than this run on one thread: below it, starting the OpenMP
       team costs more than the loop. */
    #ifndef ASRC_PARALLEL_MIN
    #define ASRC_PARALLEL_MIN INT64_C(32768)
    #endif

    /* Per-call state every generated function receives: the symbol values and where an error
       message goes. */
    typedef struct {
      const int64_t *sizes;
      char *message;
      size_t message_size;
    } asrc_ctx;

    static int asrc_fail(asrc_ctx *ctx, const char *format, ...) {
      if (ctx->message && ctx->message_size > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(ctx->message, ctx->message_size, format, arguments);
        va_end(arguments);
      }
      return -1;
    }

    /* Scratch memory, 64-byte aligned for vector loads. */
    static void *asrc_alloc(int64_t bytes) {
      size_t size = bytes > 0 ? ((size_t)bytes + 63) / 64 * 64 : 64;
      return aligned_alloc(64, size);
    }

    /* Scratch kept per thread between calls, for the large im2col buffers: a fresh allocation
       of that size is mmapped and page-faulted on every call. Grows to the largest request;
       one user at a time per thread (released before the next kernel asks). */
    static _Thread_local void *asrc_kept_scratch = NULL;
    static _Thread_local int64_t asrc_kept_scratch_bytes = 0;

    static void *asrc_scratch(int64_t bytes) {
      if (bytes > asrc_kept_scratch_bytes) {
        free(asrc_kept_scratch);
        asrc_kept_scratch = asrc_alloc(bytes);
        asrc_kept_scratch_bytes = asrc_kept_scratch ? bytes : 0;
      }
      return asrc_kept_scratch;
    }

    /* floor(a / b) for b > 0: the IR's `/` on sizes. Branch-free: sizes appear in the index
       arithmetic of inner loops, and GCC 12 does not vectorise an `omp simd` loop with the
       branch of a `&&` in it (the gelu_grad nest of the conv stack ran scalar). */
    static inline int64_t asrc_floordiv(int64_t a, int64_t b) {
      const int64_t q = a / b;
      return q - (int64_t)((a % b != 0) & ((a < 0) != (b < 0)));
    }

    /* floor_div on tensors: division by zero gives 0, as the interpreter's kernel. */
    static inline int64_t asrc_floordiv_or_zero(int64_t a, int64_t b) {
      return b == 0 ? 0 : asrc_floordiv(a, b);
    }

    /* Float to i64 as the interpreter casts: NaN is 0, out-of-range values saturate. */
    static inline int64_t asrc_saturating_i64(double value) {
      if (isnan(value)) return 0;
      if (value >= 9.2e18) return INT64_MAX;
      if (value <= -9.2e18) return INT64_MIN;
      return (int64_t)value;
    }

    /* a·b + c as one fused multiply-add where the target has one (every x86-64 CPU the C
       backend is tuned for, AArch64), else as a product and a sum. The functions below are
       chains of dependent multiply-adds: with -ffp-contract=off each link costs a multiply's
       latency and an add's, and the chain, not the arithmetic, set the loops' speed (gelu over
       the conv stack ran at 9.5 cycles an element on Zen 3). Their error bounds hold either way;
       the order is fixed, so a result is the same on every run. */
    #if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    #define ASRC_MADDF(a, b, c) __builtin_fmaf((a), (b), (c))
    #else
    #define ASRC_MADDF(a, b, c) ((a) * (b) + (c))
    #endif

    /* e^x in float for softmax, vectorisable with 16 lanes: Cody-Waite reduction by ln 2 (the
       high part has 16 bits, so k * high is exact), a degree-6 Taylor polynomial on
       |r| <= ln 2 / 2 in Estrin's form (three multiply-adds deep rather than six) and the power
       of two as two normal factors, so results down to the subnormals are reached. Within
       3 ulp of expf; below -104 it is 0, above 88.8 +inf; NaN stays NaN. */
    static inline float asrc_expf(float x) {
      /* NaN goes through as 0 (returned as itself below): a NaN k would be undefined to convert. */
      const float clamped = x < -104.0f ? -104.0f : x > 88.8f ? 88.8f : x == x ? x : 0.0f;
      const float k = __builtin_rintf(clamped * 1.44269504f);
      const float r = ASRC_MADDF(-k, 1.42860677e-6f, ASRC_MADDF(-k, 0.693145752f, clamped));
      const float r2 = r * r;
      const float p01 = r + 1.0f, p23 = ASRC_MADDF(r, 1.0f / 6.0f, 0.5f), p45 = ASRC_MADDF(r, 1.0f / 120.0f, 1.0f / 24.0f);
      const float p = ASRC_MADDF(r2, ASRC_MADDF(r2, ASRC_MADDF(r2, 1.0f / 720.0f, p45), p23), p01);
      const int32_t half = (int32_t)k / 2;
      const int32_t bits_a = (half + 127) << 23, bits_b = ((int32_t)k - half + 127) << 23;
      float scale_a, scale_b;
      memcpy(&scale_a, &bits_a, sizeof scale_a);
      memcpy(&scale_b, &bits_b, sizeof scale_b);
      const float value = p * scale_a * scale_b;
      return x != x ? x : value;
    }

    /* Subnormal floats (below 1.2e-38) cost a microcode assist, about a hundred cycles, on
       each x86 operation that reads or writes one. A conv stack in training makes them (gelu's
       far tail, products of small activations): on the demo's speech the small model's step
       spent a fifth of its time there, against none on the benchmark's random audio. So a step
       runs with FTZ and DAZ set in the calling thread and in every thread of its OpenMP pool
       (which oneDNN shares), and restores them after, as torch.set_flush_denormal(True) and
       OpenVINO's and ONNX Runtime's denormal options do. Values that small carry nothing a
       model uses. ASRC_FLUSH_SUBNORMALS, defined by the emitter before this prelude, is 0 in
       libraries built to keep IEEE behaviour (tests of the formats' edges); being part of the
       C text, the choice is part of the library's cache key and no library is shared between
       the two modes. */

    #if defined(__x86_64__) || defined(__i386__)
    enum { asrc_ftz_daz = 0x8040 };

    static unsigned int asrc_subnormals_begin(void) {
      const unsigned int saved = _mm_getcsr();
      if (!ASRC_FLUSH_SUBNORMALS) return saved;
      #pragma omp parallel
      _mm_setcsr(_mm_getcsr() | asrc_ftz_daz);
      _mm_setcsr(saved | asrc_ftz_daz);
      return saved;
    }

    static void asrc_subnormals_end(unsigned int saved) {
      if (!ASRC_FLUSH_SUBNORMALS) return;
      #pragma omp parallel
      _mm_setcsr(_mm_getcsr() & ~(unsigned int)asrc_ftz_daz);
      _mm_setcsr(saved);
    }
    #else
    /* Other architectures keep IEEE subnormals. */
    static unsigned int asrc_subnormals_begin(void) { return 0; }
    static void asrc_subnormals_end(unsigned int saved) { (void)saved; }
    #endif

    /* gelu and its gradient in f32, vectorisable (glibc's erff and erfcf are scalar calls, and
       gelu with gelu_grad over the conv stack was a quarter of a small model's step). Both take
       Φ(x) = erfc(-x/√2) / 2 from Numerical Recipes' erfcc, a Chebyshev fit with relative
       error below 1.2e-7: erfc(z) = t e^(-z² + P(t)), t = 1 / (1 + z/2), z = |x|/√2 ≥ 0, and
       its reflection 2 - erfc(z) for x > 0, so the tail for x < -3 keeps its relative
       accuracy (no 1 + erf cancellation, as the interpreter). In float throughout: gelu is
       within 5e-6 relative of the exact value and gelu_grad within 3e-7 absolute (tools'
       measurement in ElementwiseParityTests.geluAcrossItsRange); the double version it replaced was twice as
       slow. NaN stays NaN. */
    static inline float asrc_erfcc_polynomialf(float t) {
      /* Estrin's form: four multiply-adds deep where Horner's is nine. */
      const float t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
      const float c01 = ASRC_MADDF(t, 1.00002368f, -1.26551223f), c23 = ASRC_MADDF(t, 0.09678418f, 0.37409196f);
      const float c45 = ASRC_MADDF(t, 0.27886807f, -0.18628806f), c67 = ASRC_MADDF(t, 1.48851587f, -1.13520398f);
      const float c89 = ASRC_MADDF(t, 0.17087277f, -0.82215223f);
      return ASRC_MADDF(t8, c89, ASRC_MADDF(t4, ASRC_MADDF(t2, c67, c45), ASRC_MADDF(t2, c23, c01)));
    }

    /* z² = x²/2 enters the exponent as x² and its rounding error (an fma), so the tail's
       relative error stays near expf's own rather than growing with x². Beyond |x| = 15 the
       tail is below every float (asrc_expf gives 0 under -104); clamping there keeps x² finite,
       where inf - inf would be NaN. */
    static inline float asrc_geluf(float x) {
      const float magnitude = fabsf(x) < 15.0f ? fabsf(x) : 15.0f;
      const float t = 1.0f / ASRC_MADDF(magnitude, 0.5f * 0.70710677f, 1.0f);
      const float square = magnitude * magnitude, square_error = __builtin_fmaf(magnitude, magnitude, -square);
      /* One rounding of the exponent at its full size (about 85 where the tail nears the
         smallest normal float, where an ulp is 8e-6 of the result): the small terms first,
         then x²/2 in the multiply-add. */
      const float exponent = ASRC_MADDF(-0.5f, square, asrc_erfcc_polynomialf(t) - 0.5f * square_error);
      const float tail = t * asrc_expf(exponent);
      return x * (x > 0 ? ASRC_MADDF(-0.5f, tail, 1.0f) : 0.5f * tail);
    }

    /* dy (Φ(x) + x φ(x)): e^(-x²/2) is both the density's factor and the erfc tail's. */
    static inline float asrc_gelu_gradf(float x, float dy) {
      const float magnitude = fabsf(x) < 15.0f ? fabsf(x) : 15.0f;
      const float t = 1.0f / ASRC_MADDF(magnitude, 0.5f * 0.70710677f, 1.0f);
      const float square = magnitude * magnitude, square_error = __builtin_fmaf(magnitude, magnitude, -square);
      const float half_square = ASRC_MADDF(0.5f, square, 0.5f * square_error);
      const float density = asrc_expf(-half_square);
      const float tail = t * asrc_expf(asrc_erfcc_polynomialf(t) - half_square);
      const float cdf = x > 0 ? ASRC_MADDF(-0.5f, tail, 1.0f) : 0.5f * tail;
      return dy * ASRC_MADDF(x * 0.39894228f, density, cdf);
    }

    /* C[m x n] = op(A) op(B) + beta C, row-major. k = 0 scales C (BLAS needs k >= 1).
       f32 goes to oneDNN: Debian's OpenBLAS picks its kernels by CPU model and falls back to
       SSE3 (Prescott) ones on CPUs it does not know, where oneDNN's JIT reads the instruction
       set (docs/architecture.md, C backend). Nonzero when oneDNN rejects the arguments. */
    static int asrc_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
      if (m <= 0 || n <= 0) return 0;
      if (k <= 0) {
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
        return 0;
      }
      return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) != dnnl_success;
    }

    /* One oneDNN matmul primitive per batched shape [batch, m, k] x [batch, k, n], created on
       first use and kept: one call for all attention heads instead of one GEMM per head. One
       lock covers the table, the engine and stream, and the execution (oneDNN's default build
       shares scratchpad memory between primitives, so concurrent steps take turns here). */
    typedef struct {
      int64_t batch, m, n, k;
      dnnl_primitive_t primitive;
    } asrc_batched_matmul;

    static pthread_mutex_t asrc_dnnl_lock = PTHREAD_MUTEX_INITIALIZER;
    static dnnl_engine_t asrc_dnnl_engine = NULL;
    static dnnl_stream_t asrc_dnnl_stream = NULL;
    static asrc_batched_matmul asrc_batched_matmuls[64];
    static int asrc_batched_matmul_count = 0;

    /* The kept primitive for a shape, or a new one; *kept is 0 when the table was full (the
       caller destroys it after use). Called with the lock held. */
    static dnnl_primitive_t asrc_batched_matmul_primitive(int64_t batch, int64_t m, int64_t n, int64_t k, int *kept) {
      *kept = 1;
      for (int i = 0; i < asrc_batched_matmul_count; i++) {
        const asrc_batched_matmul *entry = &asrc_batched_matmuls[i];
        if (entry->batch == batch && entry->m == m && entry->n == n && entry->k == k) return entry->primitive;
      }
      dnnl_dims_t a_dims = {batch, m, k}, b_dims = {batch, k, n}, c_dims = {batch, m, n};
      dnnl_memory_desc_t a_desc, b_desc, c_desc;
      dnnl_matmul_desc_t desc;
      dnnl_primitive_desc_t primitive_desc = NULL;
      dnnl_primitive_t primitive = NULL;
      if (dnnl_memory_desc_init_by_tag(&a_desc, 3, a_dims, dnnl_f32, dnnl_abc) != dnnl_success
          || dnnl_memory_desc_init_by_tag(&b_desc, 3, b_dims, dnnl_f32, dnnl_abc) != dnnl_success
          || dnnl_memory_desc_init_by_tag(&c_desc, 3, c_dims, dnnl_f32, dnnl_abc) != dnnl_success
          || dnnl_matmul_desc_init(&desc, &a_desc, &b_desc, NULL, &c_desc) != dnnl_success
          || dnnl_primitive_desc_create(&primitive_desc, &desc, NULL, asrc_dnnl_engine, NULL) != dnnl_success
          || dnnl_primitive_create(&primitive, primitive_desc) != dnnl_success)
        primitive = NULL;
      if (primitive_desc) dnnl_primitive_desc_destroy(primitive_desc);
      if (!primitive) return NULL;
      if (asrc_batched_matmul_count < (int)(sizeof asrc_batched_matmuls / sizeof asrc_batched_matmuls[0]))
        asrc_batched_matmuls[asrc_batched_matmul_count++] = (asrc_batched_matmul){batch, m, n, k, primitive};
      else
        *kept = 0;
      return primitive;
    }

    /* C[i] = A[i] B[i] for i < batch, each row-major and contiguous. Nonzero on failure. */
    static int asrc_sgemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
      if (batch <= 0 || m <= 0 || n <= 0) return 0;
      if (k <= 0) { memset(c, 0, (size_t)(batch * m * n) * sizeof(float)); return 0; }
      pthread_mutex_lock(&asrc_dnnl_lock);
      int failed = 0, kept = 1;
      if (!asrc_dnnl_engine) failed = dnnl_engine_create(&asrc_dnnl_engine, dnnl_cpu, 0) != dnnl_success;
      if (!failed && !asrc_dnnl_stream) failed = dnnl_stream_create(&asrc_dnnl_stream, asrc_dnnl_engine, dnnl_stream_default_flags) != dnnl_success;
      dnnl_primitive_t primitive = failed ? NULL : asrc_batched_matmul_primitive(batch, m, n, k, &kept);
      const_dnnl_primitive_desc_t primitive_desc = NULL;
      failed = !primitive || dnnl_primitive_get_primitive_desc(primitive, &primitive_desc) != dnnl_success;
      const dnnl_query_t queries[3] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md};
      void *handles[3] = {(void *)a, (void *)b, c};
      dnnl_memory_t memories[3] = {NULL, NULL, NULL};
      for (int i = 0; i < 3 && !failed; i++)
        failed = dnnl_memory_create(&memories[i], dnnl_primitive_desc_query_md(primitive_desc, queries[i], 0), asrc_dnnl_engine, handles[i]) != dnnl_success;
      if (!failed) {
        dnnl_exec_arg_t arguments[3] = {{DNNL_ARG_SRC, memories[0]}, {DNNL_ARG_WEIGHTS, memories[1]}, {DNNL_ARG_DST, memories[2]}};
        failed = dnnl_primitive_execute(primitive, asrc_dnnl_stream, 3, arguments) != dnnl_success || dnnl_stream_wait(asrc_dnnl_stream) != dnnl_success;
      }
      for (int i = 0; i < 3; i++) if (memories[i]) dnnl_memory_destroy(memories[i]);
      if (primitive && !kept) dnnl_primitive_destroy(primitive);
      pthread_mutex_unlock(&asrc_dnnl_lock);
      return failed;
    }

    /* f64 (tests and precision reports, not a speed path): OpenBLAS. Always 0. */
    static int asrc_dgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                          const double *b, int64_t ldb, double beta, double *c, int64_t ldc) {
      if (m <= 0 || n <= 0) return 0;
      if (k <= 0) {
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
        return 0;
      }
      cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                  1.0, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
      return 0;
    }

    static double asrc_seconds(clockid_t clock) {
      struct timespec now;
      clock_gettime(clock, &now);
      return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
    }

    /* One call in the step: a failure ends the step. With ASRC_C_PROFILE set in the environment
       (`profiling`, read at the start of each step) it prints the call's wall time and the
       process's CPU time over it (all threads, so spinning OpenMP workers count) to stderr:
       "asrc profile: <function> <wall ms> <cpu ms>". On a busy machine the CPU time under
       OMP_NUM_THREADS=1 is the steadier measure of work. */
    #define ASRC_STEP(function, arguments) do { \\
        const double asrc_wall = profiling ? asrc_seconds(CLOCK_MONOTONIC) : 0; \\
        const double asrc_cpu = profiling ? asrc_seconds(CLOCK_PROCESS_CPUTIME_ID) : 0; \\
        if (function arguments) return -1; \\
        if (profiling) fprintf(stderr, "asrc profile: %s %.3f %.3f\\n", #function, (asrc_seconds(CLOCK_MONOTONIC) - asrc_wall) * 1e3, \\
                               (asrc_seconds(CLOCK_PROCESS_CPUTIME_ID) - asrc_cpu) * 1e3); \\
      } while (0)

    """
}
