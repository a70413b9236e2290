/// Row-major iteration over an output shape with several broadcast inputs.
///
/// The body receives, for each run of the innermost dimension, the output offset, each
/// input's offset and the inner length and inner strides (0 for a broadcast axis).
struct StridedLoop {
  let shape: [Int]
  let strides: [[Int]]

  /// Strides of `inputShape` read as if broadcast to `outputShape` (0 on stretched axes).
  static func broadcastStrides(_ inputShape: [Int], to outputShape: [Int]) -> [Int] {
    let contiguous = contiguousStrides(inputShape)
    let offset = outputShape.count - inputShape.count
    return outputShape.indices.map { axis in
      axis < offset ? 0 : (inputShape[axis - offset] == 1 && outputShape[axis] != 1 ? 0 : contiguous[axis - offset])
    }
  }

  /// Whether `inputShape` broadcasts to `outputShape` (NumPy rules, aligned from the right).
  static func broadcasts(_ inputShape: [Int], to outputShape: [Int]) -> Bool {
    guard inputShape.count <= outputShape.count else { return false }
    let offset = outputShape.count - inputShape.count
    return inputShape.indices.allSatisfy { inputShape[$0] == outputShape[$0 + offset] || inputShape[$0] == 1 }
  }

  func run(_ body: (_ outOffset: Int, _ inOffsets: [Int], _ count: Int, _ innerStrides: [Int]) -> Void) {
    let total = shape.reduce(1, *)
    if total == 0 { return }
    guard let inner = shape.last else {
      body(0, strides.map { _ in 0 }, 1, strides.map { _ in 0 })
      return
    }
    let innerStrides = strides.map { $0.last ?? 0 }
    let outerShape = Array(shape.dropLast())
    var index = [Int](repeating: 0, count: outerShape.count)
    var offsets = [Int](repeating: 0, count: strides.count)
    var outOffset = 0
    for _ in 0..<(total / inner) {
      body(outOffset, offsets, inner, innerStrides)
      outOffset += inner
      // Advance the outer multi-index.
      var axis = outerShape.count - 1
      while axis >= 0 {
        index[axis] += 1
        for input in strides.indices { offsets[input] += strides[input][axis] }
        if index[axis] < outerShape[axis] { break }
        for input in strides.indices { offsets[input] -= strides[input][axis] * outerShape[axis] }
        index[axis] = 0
        axis -= 1
      }
    }
  }
}

func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var running = 1
  for axis in shape.indices.reversed() {
    strides[axis] = running
    running *= shape[axis]
  }
  return strides
}
