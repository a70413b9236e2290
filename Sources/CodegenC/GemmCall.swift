import IR

/// The GEMM call of a contraction in one dtype: `asrc_sgemm` (oneDNN) / `asrc_dgemm` (OpenBLAS)
/// for f32 and f64; for f16 and bf16 the half GEMM of `HalfPrelude`, half operands with f32 sums
/// into an f32 C. Statements fail the step when the library rejects the call or scratch memory
/// runs out, naming the value; `expression` is the bare call for places no jump may leave (an
/// OpenMP loop), which test its status themselves.
struct GemmCall {
  let dtype: DType
  /// The IR value the product computes, for error messages.
  let value: String

  var isHalf: Bool { CNames.isHalf(dtype) }

  /// C[m x n] = op(A)[m x k] op(B)[k x n] + beta C, row-major with leading dimensions, as a
  /// statement.
  func call(
    _ ta: Int, _ tb: Int, _ m: String, _ n: String, _ k: String, _ a: String, _ lda: String, _ b: String, _ ldb: String, _ beta: Int, _ c: String,
    _ ldc: String
  ) -> String {
    checked(expression(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc))
  }

  /// The same call as an expression: nonzero when it failed.
  func expression(
    _ ta: Int, _ tb: Int, _ m: String, _ n: String, _ k: String, _ a: String, _ lda: String, _ b: String, _ ldb: String, _ beta: Int, _ c: String,
    _ ldc: String
  ) -> String {
    guard isHalf else {
      return "\(dtype == .f64 ? "asrc_dgemm" : "asrc_sgemm")(\(ta), \(tb), \(m), \(n), \(k), \(a), \(lda), \(b), \(ldb), \(beta), \(c), \(ldc))"
    }
    return halfCall("\(ta), \(tb), 1, \(m), \(n), \(k), \(a), \(lda), 0, \(b), \(ldb), 0, \(beta), \(c), \(ldc), 0")
  }

  /// `batch` independent products of contiguous row-major matrices (no transposes, beta 0), one
  /// after another in memory: one call, so oneDNN threads over them (f32 and the half dtypes).
  func batched(_ batch: String, _ m: String, _ n: String, _ k: String, _ a: String, _ b: String, _ c: String) -> String {
    guard isHalf else { return checked("asrc_sgemm_batched(\(batch), \(m), \(n), \(k), \(a), \(b), \(c))") }
    return checked(halfCall("0, 0, \(batch), \(m), \(n), \(k), \(a), \(k), \(m) * \(k), \(b), \(n), \(k) * \(n), 0, \(c), \(n), \(m) * \(n)"))
  }

  private func halfCall(_ arguments: String) -> String { "asrc_gemm_half(\(dtype == .f16 ? 1 : 0), \(arguments))" }

  private func checked(_ call: String) -> String {
    "if (\(call)) { status = asrc_fail(ctx, \"the GEMM of %s failed (out of memory, or the library rejected its arguments)\", \"\(CNames.identifier(value))\"); goto done; }"
  }
}
