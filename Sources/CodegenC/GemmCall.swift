import IR

/// The GEMM call of a contraction in one dtype, as a C statement: `asrc_sgemm` / `asrc_dgemm`
/// (OpenBLAS) for f32 and f64; for f16 and bf16 the half GEMM of `HalfPrelude`, half operands
/// with f32 sums into an f32 C, which can fail for want of scratch memory.
struct GemmCall {
  let dtype: DType

  var isHalf: Bool { CNames.isHalf(dtype) }

  /// C[m x n] = op(A)[m x k] op(B)[k x n] + beta C, row-major with leading dimensions.
  func call(
    _ ta: Int, _ tb: Int, _ m: String, _ n: String, _ k: String, _ a: String, _ lda: String, _ b: String, _ ldb: String, _ beta: Int, _ c: String,
    _ ldc: String
  ) -> String {
    guard isHalf else {
      return "\(dtype == .f64 ? "asrc_dgemm" : "asrc_sgemm")(\(ta), \(tb), \(m), \(n), \(k), \(a), \(lda), \(b), \(ldb), \(beta), \(c), \(ldc));"
    }
    return halfCall("\(ta), \(tb), 1, \(m), \(n), \(k), \(a), \(lda), 0, \(b), \(ldb), 0, \(beta), \(c), \(ldc), 0")
  }

  /// `batch` independent products of contiguous row-major matrices (no transposes, beta 0),
  /// `strideA` / `strideB` / `strideC` elements apart: one call, so oneDNN threads over them.
  func batched(
    _ batch: String, _ m: String, _ n: String, _ k: String, _ a: String, _ strideA: String, _ b: String, _ strideB: String, _ c: String, _ strideC: String
  ) -> String {
    halfCall("0, 0, \(batch), \(m), \(n), \(k), \(a), \(k), \(strideA), \(b), \(n), \(strideB), 0, \(c), \(n), \(strideC)")
  }

  private func halfCall(_ arguments: String) -> String {
    "if (asrc_gemm_half(\(dtype == .f16 ? 1 : 0), \(arguments))) { status = asrc_fail(ctx, \"out of memory\"); goto done; }"
  }
}
