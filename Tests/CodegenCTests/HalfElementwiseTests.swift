import IR
import Runtime
import Testing

/// Elementwise ops, data movement and sources on f16 and bf16 through the C backend: each op
/// widens its half operands to f32 and rounds its result back, as the interpreter does, so the
/// outputs are the interpreter's bits (0 ulps apart), fused into regions or not.
@Suite struct HalfElementwiseTests {
  static let halves: [DType] = [.f16, .bf16]

  @Test(arguments: halves)
  func unary(_ dtype: DType) throws {
    for fused in [false, true] {
      var graph = ParityGraph("unary_half")
      let x = graph.input("x", [5, 9], in: -5...5, dtype: dtype)
      let positive = graph.input("p", [5, 9], in: 0.01...40, dtype: dtype)
      for op in ElementwiseParityTests.unaryOps {
        graph.output(op.rawValue, try graph.builder.unary(op, [Op.log, .sqrt, .rsqrt].contains(op) ? positive : x))
      }
      graph.output("gelu_grad", try graph.builder.apply(.geluGrad, [x, positive]))
      try HalfParity.check(try graph.graph(), inputs: graph.inputs, allowedUlps: 0, fused: fused, "unary \(dtype) fused \(fused)")
    }
  }

  @Test(arguments: halves)
  func binaryWithBroadcasting(_ dtype: DType) throws {
    for (index, shapes) in [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([4], []), ([2, 1, 4], [3, 1])].enumerated() {
      var graph = ParityGraph("binary_half", seed: UInt64(index))
      let a = graph.input("a", shapes.0, in: 0.5...2, dtype: dtype)
      let b = graph.input("b", shapes.1, in: 0.5...2, dtype: dtype)
      let c = graph.input("c", shapes.1, in: -2...2, dtype: dtype)
      for op in [Op.add, .sub, .mul, .div, .pow, .maximum, .minimum, .eq, .ne, .lt, .le, .gt, .ge] {
        graph.output(op.rawValue, try graph.builder.binary(op, a, op == .pow ? b : c))
      }
      let condition = try graph.builder.binary(.lt, a, c)
      graph.output("select", try graph.builder.apply(.select, [condition, a, c]))
      try HalfParity.check(try graph.graph(), inputs: graph.inputs, allowedUlps: 0, "binary \(dtype) \(shapes)")
    }
  }

  /// Zeros, subnormals, the largest finite values, infinities and NaNs (quiet and signalling)
  /// through every unary and binary op: the NaN rules and the rounding at the format's edges.
  /// pow is left out: the interpreter's (swift-numerics) is NaN for every negative base, C's
  /// powf is not (pow(-1, 2) = 1), in f32 as well; its half path is tested on positive bases.
  @Test(arguments: halves)
  func specialValues(_ dtype: DType) throws {
    let bits: [UInt16] = dtype == .f16
      ? [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE01, 0x3555, 0xC900]
      : [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFC1, 0x3EAB, 0xC120]
    var graph = ParityGraph("special_half")
    let x = graph.input("x", HalfBits.tensor(bits: bits, shape: [bits.count], dtype: dtype))
    let y = graph.input("y", HalfBits.tensor(bits: bits.reversed(), shape: [bits.count], dtype: dtype))
    for op in ElementwiseParityTests.unaryOps { graph.output(op.rawValue, try graph.builder.unary(op, x)) }
    for op in [Op.add, .sub, .mul, .div, .maximum, .minimum, .eq, .lt, .ge] { graph.output(op.rawValue, try graph.builder.binary(op, x, y)) }
    graph.output("gelu_grad", try graph.builder.apply(.geluGrad, [x, y]))
    try HalfParity.check(try graph.graph(), inputs: graph.inputs, allowedUlps: 0, backend: Parity.subnormalBackend, "special values \(dtype)")
  }

  /// A chain of half ops with casts between the formats, as one fused loop nest: every op
  /// rounds to its dtype before the next reads it.
  @Test(arguments: halves)
  func castChainsInOneNest(_ dtype: DType) throws {
    let other: DType = dtype == .f16 ? .bf16 : .f16
    for fused in [false, true] {
      var graph = ParityGraph("chain_half", seed: 5)
      let x = graph.input("x", [4, 33], in: -3...3)
      let half = try graph.builder.cast(x, to: dtype)
      let scaled = try graph.builder.mul(half, try graph.builder.constant(1.37, dtype))
      let grown = try graph.builder.unary(.exp, try graph.builder.cast(scaled, to: other))
      let back = try graph.builder.add(try graph.builder.cast(grown, to: dtype), half)
      graph.output("y", try graph.builder.unary(.tanh, back))
      graph.output("wide", try graph.builder.cast(back, to: .f32))
      try HalfParity.check(try graph.graph(), inputs: graph.inputs, allowedUlps: 0, fused: fused, "cast chain \(dtype) fused \(fused)")
    }
  }

  /// Data movement copies the bits; sources and pad values round through f32 as the
  /// interpreter's fill does.
  @Test(arguments: halves)
  func shapeOpsAndSources(_ dtype: DType) throws {
    var graph = ParityGraph("shape_half", seed: 70)
    let x = graph.input("x", [2, 3, 4], dtype: dtype)
    let moved = try graph.builder.transpose(x, [2, 0, 1])
    let reshaped = try graph.builder.reshape(moved, [4, 6])
    let cut = try graph.builder.slice(reshaped, axis: 1, start: 1, end: 5)
    graph.output("strided", try graph.builder.slice(reshaped, axis: 1, start: 1, end: 6, step: 2))
    let padded = try graph.builder.apply(.pad, [cut], ["pads": .ints([1, 0, 2, 1]), "value": .float(0.1)])
    graph.output("joined", try graph.builder.concat([padded, try graph.builder.unary(.tanh, padded)], axis: 0))
    let y = graph.input("y", [1, 7], dtype: dtype)
    graph.output("stretched", try graph.builder.apply(.broadcastTo, [y], ["shape": .dims([3, 7])]))
    graph.output("constant", try graph.builder.constant(0.1, dtype, shape: [2, 3]))
    graph.output("iota", try graph.builder.apply(.iota, [], ["dtype": .dtype(dtype), "shape": .dims([3, 300]), "axis": .int(1)]))
    let size = try graph.builder.cast(try graph.builder.apply(.dimSize, [x], ["axis": .int(2)]), to: dtype)
    graph.output("scaled_by_size", try graph.builder.mul(x, size))
    try HalfParity.check(try graph.graph(), inputs: graph.inputs, allowedUlps: 0, "shape ops and sources \(dtype)")
  }
}
