import IR

/// Data movement: transpose, slice, concat, pad and broadcast, by element size (dtype-agnostic).
enum ShapeKernels {
  /// Generic strided gather: output element i reads input at the strided offset of its index.
  private static func gather(_ x: Tensor, outputShape: [Int], inputStrides: [Int], baseOffset: Int = 0) -> Tensor {
    let y = Tensor(uninitialized: x.dtype, outputShape)
    let size = x.dtype.byteSize
    let (source, out) = (x.storage.data, y.storage.data)
    StridedLoop(shape: outputShape, strides: [inputStrides]).run { outOffset, offsets, count, inner in
      var input = baseOffset + offsets[0]
      if inner[0] == 1 {
        (out + outOffset * size).copyMemory(from: source + input * size, byteCount: count * size)
        return
      }
      switch size {
      case 4:
        let (s, o) = (source.assumingMemoryBound(to: UInt32.self), out.assumingMemoryBound(to: UInt32.self))
        for index in 0..<count {
          o[outOffset + index] = s[input]
          input += inner[0]
        }
      case 8:
        let (s, o) = (source.assumingMemoryBound(to: UInt64.self), out.assumingMemoryBound(to: UInt64.self))
        for index in 0..<count {
          o[outOffset + index] = s[input]
          input += inner[0]
        }
      default:
        for index in 0..<count {
          (out + (outOffset + index) * size).copyMemory(from: source + input * size, byteCount: size)
          input += inner[0]
        }
      }
    }
    return y
  }

  static func transpose(_ x: Tensor, perm: [Int]) -> Tensor {
    let strides = contiguousStrides(x.shape)
    return gather(x, outputShape: perm.map { x.shape[$0] }, inputStrides: perm.map { strides[$0] })
  }

  static func slice(_ x: Tensor, axis: Int, start: Int, step: Int, outputShape: [Int]) -> Tensor {
    var strides = contiguousStrides(x.shape)
    let base = start * strides[axis]
    strides[axis] *= step
    return gather(x, outputShape: outputShape, inputStrides: strides, baseOffset: base)
  }

  static func broadcast(_ x: Tensor, to shape: [Int]) -> Tensor {
    gather(x, outputShape: shape, inputStrides: StridedLoop.broadcastStrides(x.shape, to: shape))
  }

  static func concat(_ xs: [Tensor], axis: Int, outputShape: [Int]) -> Tensor {
    let y = Tensor(uninitialized: xs[0].dtype, outputShape)
    let size = y.dtype.byteSize
    let outer = outputShape[..<axis].reduce(1, *)
    let innerOut = outputShape[axis...].reduce(1, *) * size
    var columnOffset = 0
    for x in xs {
      let block = x.shape[axis...].reduce(1, *) * size
      for row in 0..<outer {
        (y.storage.data + row * innerOut + columnOffset).copyMemory(from: x.storage.data + row * block, byteCount: block)
      }
      columnOffset += block
    }
    return y
  }

  static func pad(_ x: Tensor, pads: [Int], value: Double, outputShape: [Int]) -> Tensor {
    let y = Tensor(uninitialized: x.dtype, outputShape)
    fill(y, with: value)
    let size = x.dtype.byteSize
    let outStrides = contiguousStrides(outputShape)
    let base = x.shape.indices.reduce(0) { $0 + pads[2 * $1] * outStrides[$1] }
    // Scatter x into the interior: iterate x's rows, writing at the shifted output offsets.
    StridedLoop(shape: x.shape, strides: [outStrides]).run { inOffset, offsets, count, _ in
      (y.storage.data + (base + offsets[0]) * size).copyMemory(from: x.storage.data + inOffset * size, byteCount: count * size)
    }
    return y
  }

  /// Fills every element with one value converted to the tensor's dtype.
  static func fill(_ y: Tensor, with value: Double) {
    let n = y.count
    switch y.dtype {
    case .f32: y.pointer(Float.self).update(repeating: Float(value), count: n)
    case .f64: y.pointer(Double.self).update(repeating: value, count: n)
    case .f16: y.pointer(UInt16.self).update(repeating: HalfPrecision.floatToF16(Float(value)), count: n)
    case .bf16: y.pointer(UInt16.self).update(repeating: HalfPrecision.floatToBF16(Float(value)), count: n)
    case .i64: y.pointer(Int64.self).update(repeating: Int64(value), count: n)
    case .i32: y.pointer(Int32.self).update(repeating: Int32(value), count: n)
    case .bool: y.pointer(UInt8.self).update(repeating: value != 0 ? 1 : 0, count: n)
    }
  }

  static func iota(_ dtype: DType, shape: [Int], axis: Int) -> Tensor {
    let y = Tensor(uninitialized: dtype, shape)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let extent = shape[axis]
    var values = [Double](repeating: 0, count: y.count)
    for index in 0..<y.count { values[index] = Double((index / inner) % extent) }
    switch dtype {
    case .f32: for i in 0..<y.count { y.pointer(Float.self)[i] = Float(values[i]) }
    case .f64: for i in 0..<y.count { y.pointer(Double.self)[i] = values[i] }
    case .i64: for i in 0..<y.count { y.pointer(Int64.self)[i] = Int64(values[i]) }
    case .i32: for i in 0..<y.count { y.pointer(Int32.self)[i] = Int32(values[i]) }
    case .f16: for i in 0..<y.count { y.pointer(UInt16.self)[i] = HalfPrecision.floatToF16(Float(values[i])) }
    case .bf16: for i in 0..<y.count { y.pointer(UInt16.self)[i] = HalfPrecision.floatToBF16(Float(values[i])) }
    case .bool: for i in 0..<y.count { y.pointer(UInt8.self)[i] = values[i] != 0 ? 1 : 0 }
    }
    return y
  }
}
