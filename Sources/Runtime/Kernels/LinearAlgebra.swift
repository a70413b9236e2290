import COpenBLAS
import IR

/// Matrix products and 1-D convolution (im2col + GEMM through OpenBLAS), with the
/// convolution's input and weight gradients.
enum LinearAlgebraKernels {
  /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, in f32 or f64.
  static func gemm<T: KernelFloat>(
    _: T.Type, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int, beta: T = 0, _ c: UnsafeMutablePointer<T>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    let ta = transposeA ? CblasTrans : CblasNoTrans
    let tb = transposeB ? CblasTrans : CblasNoTrans
    if k == 0 {
      for row in 0..<m { for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : c[row * ldc + column] * beta } }
      return
    }
    if T.self == Float.self {
      cblas_sgemm(
        CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), Float(beta), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
    } else {
      cblas_dgemm(
        CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), Double(beta), UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
    }
  }

  static func matmul(_ a: Tensor, _ b: Tensor, outputShape: [Int]) -> Tensor {
    a.dtype == .f64 ? matmul(a, b, outputShape: outputShape, as: Double.self) : matmul(a, b, outputShape: outputShape, as: Float.self)
  }

  private static func matmul<T: KernelFloat>(_ a: Tensor, _ b: Tensor, outputShape: [Int], as _: T.Type) -> Tensor {
    let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
    let y = Tensor(uninitialized: a.dtype, outputShape)
    let batchShape = Array(outputShape.dropLast(2))
    let batchCount = batchShape.reduce(1, *)
    // b without batch axes (a weight): fold a's batch into the rows of one GEMM.
    if b.rank == 2 {
      gemm(T.self, transposeA: false, transposeB: false, m: batchCount * m, n: n, k: k, a.pointer(T.self), lda: k, b.pointer(T.self), ldb: n, y.pointer(T.self), ldc: n)
      return y
    }
    let aStrides = StridedLoop.broadcastStrides(Array(a.shape.dropLast(2)), to: batchShape)
    let bStrides = StridedLoop.broadcastStrides(Array(b.shape.dropLast(2)), to: batchShape)
    var aOffsets: [Int] = []
    var bOffsets: [Int] = []
    StridedLoop(shape: batchShape + [1], strides: [aStrides + [0], bStrides + [0]]).run { _, offsets, _, _ in
      aOffsets.append(offsets[0])
      bOffsets.append(offsets[1])
    }
    let (pa, pb, py) = (a.pointer(T.self), b.pointer(T.self), y.pointer(T.self))
    parallelFor(batchCount, grain: 8) { batch in
      gemm(T.self, transposeA: false, transposeB: false, m: m, n: n, k: k, pa + aOffsets[batch] * m * k, lda: k, pb + bOffsets[batch] * k * n, ldb: n, py + batch * m * n, ldc: n)
    }
    return y
  }

  static func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
    x.dtype == .f64 ? linear(x, weight, bias, as: Double.self) : linear(x, weight, bias, as: Float.self)
  }

  private static func linear<T: KernelFloat>(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, as _: T.Type) -> Tensor {
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    let rows = inFeatures == 0 ? 0 : x.count / inFeatures
    let y = Tensor(uninitialized: x.dtype, Array(x.shape.dropLast()) + [outFeatures])
    let out = y.pointer(T.self)
    if let bias {
      let b = bias.pointer(T.self)
      for row in 0..<rows { for column in 0..<outFeatures { out[row * outFeatures + column] = b[column] } }
    }
    gemm(T.self, transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, x.pointer(T.self), lda: inFeatures, weight.pointer(T.self), ldb: inFeatures, beta: bias == nil ? 0 : 1, out, ldc: outFeatures)
    return y
  }

  /// dW[out, in] = Σ_rows dy[row, out] · x[row, in]: the leading axes flattened into one GEMM.
  static func linearWeightGrad(_ dy: Tensor, _ x: Tensor) -> Tensor {
    x.dtype == .f64 ? linearWeightGrad(dy, x, as: Double.self) : linearWeightGrad(dy, x, as: Float.self)
  }

  private static func linearWeightGrad<T: KernelFloat>(_ dy: Tensor, _ x: Tensor, as _: T.Type) -> Tensor {
    let (outFeatures, inFeatures) = (dy.shape.last ?? 1, x.shape.last ?? 1)
    let rows = inFeatures == 0 ? 0 : x.count / inFeatures
    let y = Tensor.zeros(x.dtype, [outFeatures, inFeatures])
    gemm(T.self, transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows, dy.pointer(T.self), lda: outFeatures, x.pointer(T.self), ldb: inFeatures, y.pointer(T.self), ldc: inFeatures)
    return y
  }

  /// Convolution geometry resolved for one call.
  struct Convolution {
    var batch: Int, channels: Int, length: Int, filters: Int, kernel: Int, outputLength: Int
    var stride: Int, padding: Int, dilation: Int, groups: Int
    var channelsPerGroup: Int { channels / groups }
    var filtersPerGroup: Int { filters / groups }
    /// Rows of the unfolded input: channels per group × kernel taps.
    var columnRows: Int { channelsPerGroup * kernel }

    init(_ attributes: Attributes, batch: Int, channels: Int, length: Int, filters: Int, kernel: Int, outputLength: Int) throws {
      self.batch = batch
      self.channels = channels
      self.length = length
      self.filters = filters
      self.kernel = kernel
      self.outputLength = outputLength
      stride = try attributes.int("stride")
      padding = try attributes.int("padding")
      dilation = try attributes.int("dilation")
      groups = try attributes.int("groups")
    }

    /// Unfolds one sample's group into columns[(c·K + k), t] = x[c, t·s + k·d - p] (0 outside).
    func im2col<T: KernelFloat>(_ x: UnsafePointer<T>, sample: Int, group: Int, into columns: UnsafeMutablePointer<T>) {
      for c in 0..<channelsPerGroup {
        let row = x + (sample * channels + group * channelsPerGroup + c) * length
        for k in 0..<kernel {
          let out = columns + (c * kernel + k) * outputLength
          let shift = k * dilation - padding
          if stride == 1 && shift >= 0 && shift + outputLength <= length {
            out.update(from: row + shift, count: outputLength)
            continue
          }
          for t in 0..<outputLength {
            let position = t * stride + shift
            out[t] = position >= 0 && position < length ? row[position] : 0
          }
        }
      }
    }

    /// Adds columns back into one sample's group of an input gradient (the adjoint of im2col).
    func col2im<T: KernelFloat>(_ columns: UnsafePointer<T>, sample: Int, group: Int, into dx: UnsafeMutablePointer<T>) {
      for c in 0..<channelsPerGroup {
        let row = dx + (sample * channels + group * channelsPerGroup + c) * length
        for k in 0..<kernel {
          let column = columns + (c * kernel + k) * outputLength
          let shift = k * dilation - padding
          for t in 0..<outputLength {
            let position = t * stride + shift
            if position >= 0 && position < length { row[position] += column[t] }
          }
        }
      }
    }
  }

  static func conv1d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, attributes: Attributes, outputShape: [Int]) throws -> Tensor {
    let geometry = try Convolution(
      attributes, batch: x.shape[0], channels: x.shape[1], length: x.shape[2], filters: weight.shape[0], kernel: weight.shape[2], outputLength: outputShape[2])
    return x.dtype == .f64 ? conv1d(x, weight, bias, geometry, as: Double.self) : conv1d(x, weight, bias, geometry, as: Float.self)
  }

  private static func conv1d<T: KernelFloat>(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: Convolution, as _: T.Type) -> Tensor {
    let y = Tensor(uninitialized: x.dtype, [g.batch, g.filters, g.outputLength])
    let (input, w, out) = (x.pointer(T.self), weight.pointer(T.self), y.pointer(T.self))
    let scratch = TensorStorage(byteCount: g.columnRows * g.outputLength * MemoryLayout<T>.stride)
    let columns = scratch.data.assumingMemoryBound(to: T.self)
    for n in 0..<g.batch {
      for group in 0..<g.groups {
        g.im2col(input, sample: n, group: group, into: columns)
        let target = out + (n * g.filters + group * g.filtersPerGroup) * g.outputLength
        gemm(T.self, transposeA: false, transposeB: false, m: g.filtersPerGroup, n: g.outputLength, k: g.columnRows,
          w + group * g.filtersPerGroup * g.columnRows, lda: g.columnRows, columns, ldb: g.outputLength, target, ldc: g.outputLength)
      }
      if let bias {
        let b = bias.pointer(T.self)
        for f in 0..<g.filters {
          let row = out + (n * g.filters + f) * g.outputLength
          for t in 0..<g.outputLength { row[t] += b[f] }
        }
      }
    }
    return y
  }

  static func conv1dInputGrad(_ gradOutput: Tensor, _ weight: Tensor, attributes: Attributes, outputShape: [Int]) throws -> Tensor {
    let geometry = try Convolution(
      attributes, batch: gradOutput.shape[0], channels: outputShape[1], length: outputShape[2], filters: weight.shape[0], kernel: weight.shape[2],
      outputLength: gradOutput.shape[2])
    return gradOutput.dtype == .f64 ? conv1dInputGrad(gradOutput, weight, geometry, as: Double.self) : conv1dInputGrad(gradOutput, weight, geometry, as: Float.self)
  }

  private static func conv1dInputGrad<T: KernelFloat>(_ dy: Tensor, _ weight: Tensor, _ g: Convolution, as _: T.Type) -> Tensor {
    let dx = Tensor.zeros(dy.dtype, [g.batch, g.channels, g.length])
    let (grad, w, out) = (dy.pointer(T.self), weight.pointer(T.self), dx.pointer(T.self))
    let scratch = TensorStorage(byteCount: g.columnRows * g.outputLength * MemoryLayout<T>.stride)
    let columns = scratch.data.assumingMemoryBound(to: T.self)
    for n in 0..<g.batch {
      for group in 0..<g.groups {
        // columns = W_gᵀ · dy_g
        gemm(T.self, transposeA: true, transposeB: false, m: g.columnRows, n: g.outputLength, k: g.filtersPerGroup,
          w + group * g.filtersPerGroup * g.columnRows, lda: g.columnRows, grad + (n * g.filters + group * g.filtersPerGroup) * g.outputLength,
          ldb: g.outputLength, columns, ldc: g.outputLength)
        g.col2im(columns, sample: n, group: group, into: out)
      }
    }
    return dx
  }

  static func conv1dWeightGrad(_ gradOutput: Tensor, _ x: Tensor, attributes: Attributes, outputShape: [Int]) throws -> Tensor {
    let geometry = try Convolution(
      attributes, batch: x.shape[0], channels: x.shape[1], length: x.shape[2], filters: outputShape[0], kernel: outputShape[2], outputLength: gradOutput.shape[2])
    return x.dtype == .f64 ? conv1dWeightGrad(gradOutput, x, geometry, as: Double.self) : conv1dWeightGrad(gradOutput, x, geometry, as: Float.self)
  }

  private static func conv1dWeightGrad<T: KernelFloat>(_ dy: Tensor, _ x: Tensor, _ g: Convolution, as _: T.Type) -> Tensor {
    let dw = Tensor.zeros(x.dtype, [g.filters, g.channelsPerGroup, g.kernel])
    let (grad, input, out) = (dy.pointer(T.self), x.pointer(T.self), dw.pointer(T.self))
    let scratch = TensorStorage(byteCount: g.columnRows * g.outputLength * MemoryLayout<T>.stride)
    let columns = scratch.data.assumingMemoryBound(to: T.self)
    for n in 0..<g.batch {
      for group in 0..<g.groups {
        g.im2col(input, sample: n, group: group, into: columns)
        // dW_g += dy_g · columnsᵀ
        gemm(T.self, transposeA: false, transposeB: true, m: g.filtersPerGroup, n: g.columnRows, k: g.outputLength,
          grad + (n * g.filters + group * g.filtersPerGroup) * g.outputLength, lda: g.outputLength, columns, ldb: g.outputLength,
          beta: 1, out + group * g.filtersPerGroup * g.columnRows, ldc: g.columnRows)
      }
    }
    return dw
  }
}
