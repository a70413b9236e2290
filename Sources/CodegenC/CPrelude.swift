/// The helpers every generated model.c starts with: floor division as the IR defines it,
/// the interpreter's saturating float-to-integer conversion, scratch memory, errors, and the
/// row-major GEMM wrappers over OpenBLAS.
enum CPrelude {
  static let text = """
    #include <math.h>
    #include <stdarg.h>
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <cblas.h>

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

    /* floor(a / b) for b > 0: the IR's `/` on sizes. */
    static inline int64_t asrc_floordiv(int64_t a, int64_t b) {
      int64_t q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
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

    /* C[m x n] = op(A) op(B) + beta C, row-major. k = 0 scales C (BLAS needs k >= 1). */
    static void asrc_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                           const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
      if (m <= 0 || n <= 0) return;
      if (k <= 0) {
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
        return;
      }
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                  1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    }

    static void asrc_dgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                           const double *b, int64_t ldb, double beta, double *c, int64_t ldc) {
      if (m <= 0 || n <= 0) return;
      if (k <= 0) {
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta;
        return;
      }
      cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                  1.0, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    }

    """
}
