import IR

/// Sums, means, maxima over axes, and argmax.
enum ReductionKernels {
  static func reduce(_ op: Op, _ x: Tensor, axes: [Int], outputShape: [Int]) throws -> Tensor {
    // Output strides laid over the input's axes: 0 on reduced axes.
    let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let keptStrides = contiguousStrides(keptShape).enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
    let outCount = keptShape.reduce(1, *)
    let reducedCount = axes.reduce(1) { $0 * x.shape[$1] }
    let loop = StridedLoop(shape: x.shape, strides: [keptStrides])
    let y = Tensor(uninitialized: x.dtype, outputShape)
    switch x.dtype {
    case .f32, .f64:
      let values = x.dtype == .f32 ? nil : x.pointer(Double.self)
      let floats = x.dtype == .f32 ? x.pointer(Float.self) : nil
      func read(_ index: Int) -> Double { floats.map { Double($0[index]) } ?? values![index] }
      var accumulator = [Double](repeating: op == .reduceMax ? -.infinity : 0, count: outCount)
      accumulator.withUnsafeMutableBufferPointer { acc in
        loop.run { inOffset, offsets, count, inner in
          var out = offsets[0]
          for index in 0..<count {
            let value = read(inOffset + index)
            if op == .reduceMax {
              if value > acc[out] || value.isNaN { acc[out] = value }
            } else {
              acc[out] += value
            }
            out += inner[0]
          }
        }
      }
      if op == .reduceMean { for index in 0..<outCount { accumulator[index] /= Double(reducedCount) } }
      if x.dtype == .f32 {
        for index in 0..<outCount { y.pointer(Float.self)[index] = Float(accumulator[index]) }
      } else {
        for index in 0..<outCount { y.pointer(Double.self)[index] = accumulator[index] }
      }
    case .i64, .i32:
      let values = x.int64s
      var accumulator = [Int64](repeating: op == .reduceMax ? .min : 0, count: outCount)
      loop.run { inOffset, offsets, count, inner in
        var out = offsets[0]
        for index in 0..<count {
          let value = values[inOffset + index]
          accumulator[out] = op == .reduceMax ? Swift.max(accumulator[out], value) : accumulator[out] &+ value
          out += inner[0]
        }
      }
      if op == .reduceMean { for index in 0..<outCount { accumulator[index] /= Int64(Swift.max(reducedCount, 1)) } }
      for index in 0..<outCount {
        if x.dtype == .i64 { y.pointer(Int64.self)[index] = accumulator[index] } else { y.pointer(Int32.self)[index] = Int32(truncatingIfNeeded: accumulator[index]) }
      }
    default:
      throw InterpreterError.unsupported("\(op) on \(x.dtype)")
    }
    return y
  }

  static func argmax(_ x: Tensor, axis: Int, outputShape: [Int]) -> Tensor {
    let outer = x.shape[..<axis].reduce(1, *)
    let extent = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let values = x.doubles
    let y = Tensor(uninitialized: .i64, outputShape)
    let out = y.pointer(Int64.self)
    for o in 0..<outer {
      for i in 0..<inner {
        var best = 0
        var bestValue = -Double.infinity
        for e in 0..<extent {
          let value = values[(o * extent + e) * inner + i]
          if value > bestValue || (value.isNaN && !bestValue.isNaN) {
            bestValue = value
            best = e
          }
        }
        out[o * inner + i] = Int64(best)
      }
    }
    return y
  }
}
