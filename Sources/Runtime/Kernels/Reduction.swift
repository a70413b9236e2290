import IR

/// Sums, means, maxima over axes, and argmax.
enum ReductionKernels {
  static func reduce(_ op: Op, _ x: Tensor, axes: [Int], outputShape: [Int]) throws -> Tensor {
    // Floats: one contiguous block of axes at a time, as [outer, reduced, inner] passes.
    if x.dtype == .f32 || x.dtype == .f64, !axes.isEmpty {
      return x.dtype == .f32
        ? blockwise(op, x, axes: axes, outputShape: outputShape, as: Float.self) : blockwise(op, x, axes: axes, outputShape: outputShape, as: Double.self)
    }
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

  private static func blockwise<T: KernelFloat>(_ op: Op, _ x: Tensor, axes: [Int], outputShape: [Int], as _: T.Type) -> Tensor {
    var current = x
    var shape = x.shape
    // Reduce from the last block to the first, keeping reduced axes as size 1.
    var remaining = axes.sorted()
    while let last = remaining.last {
      var first = last
      while let previous = remaining.dropLast(last - first + 1).last, previous == first - 1 { first = previous }
      remaining.removeLast(last - first + 1)
      let outer = shape[..<first].reduce(1, *)
      let reduced = shape[first...last].reduce(1, *)
      let inner = shape[(last + 1)...].reduce(1, *)
      var nextShape = shape
      for axis in first...last { nextShape[axis] = 1 }
      let next = Tensor(uninitialized: x.dtype, nextShape)
      let (input, output) = (current.pointer(T.self), next.pointer(T.self))
      let isMax = op == .reduceMax
      let divisor = op == .reduceMean ? Double(reduced) : 1
      if inner == 1 {
        parallelFor(outer, grain: 64) { o in
          let row = input + o * reduced
          if isMax {
            var best = -T.infinity
            for r in 0..<reduced where row[r] > best || row[r].isNaN { best = row[r] }
            output[o] = best
          } else {
            var sum = 0.0
            for r in 0..<reduced { sum += Double(row[r]) }
            output[o] = T(sum / divisor)
          }
        }
      } else {
        parallelFor(outer, grain: 1) { o in
          var accumulator = [Double](repeating: isMax ? -.infinity : 0, count: inner)
          accumulator.withUnsafeMutableBufferPointer { acc in
            for r in 0..<reduced {
              let row = input + (o * reduced + r) * inner
              if isMax {
                for i in 0..<inner where Double(row[i]) > acc[i] || row[i].isNaN { acc[i] = Double(row[i]) }
              } else {
                for i in 0..<inner { acc[i] += Double(row[i]) }
              }
            }
            for i in 0..<inner { output[o * inner + i] = T(acc[i] / divisor) }
          }
        }
      }
      current = next
      shape = nextShape
    }
    return current.reshaped(outputShape)
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
