import IR
import Passes
import Runtime
import Testing

/// Every differentiable op, with its attribute variants, against central differences in f64.
@Suite struct OpGradientTests {
  @Test(arguments: [Op.neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal])
  func unary(_ op: Op) throws {
    var check = GradientCheck(seed: 1)
    let positive: Set<Op> = [.log, .sqrt, .rsqrt]
    let x = check.parameter("x", [2, 5], in: positive.contains(op) ? 0.2...2 : -2...2, avoiding: 0)
    try check.check(try check.builder.unary(op, x), "\(op)")
  }

  @Test(arguments: [Op.add, .sub, .mul, .div, .pow, .maximum, .minimum])
  func binaryWithBroadcasting(_ op: Op) throws {
    for (index, shapes) in [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([4], [])].enumerated() {
      var check = GradientCheck(seed: UInt64(10 + index))
      let range: ClosedRange<Double> = op == .pow ? 0.5...2 : -2...2
      let a = check.parameter("a", shapes.0, in: range)
      let b = check.parameter("b", shapes.1, in: op == .div ? 0.5...2 : range)
      try check.check(try check.builder.binary(op, a, b), "\(op) \(shapes)")
    }
  }

  @Test func selectAndCast() throws {
    var check = GradientCheck(seed: 2)
    let a = check.parameter("a", [2, 3])
    let b = check.parameter("b", [3])
    let condition = check.input("condition", Tensor([true, false, true, false, false, true], shape: [2, 3]))
    let selected = try check.builder.apply(.select, [condition, a, b])
    try check.check(selected, "select")
  }

  /// A cast between float types passes the gradient back through the inverse cast:
  /// d/dx Σ w · f64(f32(x)) is w rounded through f32, exactly. (Finite differences cannot see
  /// through float32 rounding, so this is checked analytically.)
  @Test(arguments: [DType.f32, .f16, .bf16])
  func castGradientGoesBackThroughTheCast(_ narrow: DType) throws {
    var builder = GraphBuilder(name: "cast")
    let x = builder.parameter("x", TensorType(.f64, [4]))
    let w = builder.input("w", TensorType(.f64, [4]))
    let narrowed = try builder.cast(x, to: narrow)
    let widened = try builder.cast(narrowed, to: .f64)
    builder.output("loss", try builder.reduce(.reduceSum, try builder.mul(widened, w), axes: [0]))
    let (graph, _) = try PassManager(passes: [autodiff()]).run(try builder.finish())
    let weights: [Double] = [0.1, -2.5, 1.0 / 3.0, 1e-3]
    let outputs = try Interpreter().run(graph, inputs: ["w": Tensor(weights, shape: [4])], parameters: ["x": Tensor([1.0, 2.0, 3.0, 4.0], shape: [4])])
    let gradient = try #require(outputs["grad.x"])
    #expect(gradient.dtype == .f64)
    let rounded = weights.map { weight -> Double in
      switch narrow {
      case .f16: Double(Float16(weight))
      case .bf16: Double(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBF16(Float(weight))))
      default: Double(Float(weight))
      }
    }
    #expect(gradient.doubles == rounded, "\(narrow): \(gradient.doubles) vs \(rounded)")
    #expect(rounded != weights || narrow == .f64, "the weights must not be representable in \(narrow), or the check sees no cast")
  }

  @Test func matmulVariants() throws {
    for (index, shapes) in [([2, 3], [3, 4]), ([2, 2, 3], [3, 4]), ([2, 2, 3], [1, 3, 4]), ([1, 2, 3], [2, 3, 4])].enumerated() {
      var check = GradientCheck(seed: UInt64(20 + index))
      let a = check.parameter("a", shapes.0)
      let b = check.parameter("b", shapes.1)
      try check.check(try check.builder.matmul(a, b), "matmul \(shapes)")
    }
  }

  @Test func linearVariants() throws {
    for (index, (shape, bias)) in [([2, 3], true), ([2, 2, 3], false), ([3], true), ([2, 1, 2, 3], true)].enumerated() {
      var check = GradientCheck(seed: UInt64(30 + index))
      let x = check.parameter("x", shape)
      let w = check.parameter("w", [4, 3])
      let b = bias ? check.parameter("b", [4]) : nil
      try check.check(try check.builder.linear(x, w, b), "linear \(shape) bias \(bias)")
    }
  }

  @Test func conv1dVariants() throws {
    let variants: [(stride: Int, padding: Int, dilation: Int, groups: Int, bias: Bool)] = [
      (1, 0, 1, 1, false), (2, 0, 1, 1, true), (3, 2, 1, 1, true), (1, 1, 2, 1, false), (2, 2, 1, 2, true), (1, 3, 1, 4, true),
    ]
    for (index, v) in variants.enumerated() {
      var check = GradientCheck(seed: UInt64(40 + index))
      let x = check.parameter("x", [2, 4, 11])
      let w = check.parameter("w", [4, 4 / v.groups, 3])
      let b = v.bias ? check.parameter("b", [4]) : nil
      let y = try check.builder.conv1d(x, w, b, stride: v.stride, padding: v.padding, dilation: v.dilation, groups: v.groups)
      try check.check(y, "conv1d \(v)")
    }
  }

  @Test func normalizations() throws {
    for (index, groups) in [1, 2, 4].enumerated() {
      var check = GradientCheck(seed: UInt64(50 + index))
      let x = check.parameter("x", [2, 4, 5])
      let y = try check.builder.groupNorm(x, check.parameter("w", [4]), check.parameter("b", [4]), groups: groups, eps: 1e-5)
      try check.check(y, "group_norm groups \(groups)")
    }
    for (index, shape) in [[6], [2, 5], [2, 3, 4]].enumerated() {
      var check = GradientCheck(seed: UInt64(55 + index))
      let x = check.parameter("x", shape)
      let width = shape.last!
      let y = try check.builder.layerNorm(x, check.parameter("w", [width]), check.parameter("b", [width]), eps: 1e-5)
      try check.check(y, "layer_norm \(shape)")
    }
  }

  @Test(arguments: [Op.softmax, .logSoftmax])
  func softmaxFamily(_ op: Op) throws {
    for axis in [0, 1, 2] {
      var check = GradientCheck(seed: UInt64(60 + axis))
      let x = check.parameter("x", [2, 3, 4], in: -3...3)
      try check.check(try check.builder.apply(op, [x], ["axis": .int(axis)]), "\(op) axis \(axis)")
    }
  }

  @Test func shapeOps() throws {
    var check = GradientCheck(seed: 70)
    let x = check.parameter("x", [2, 3, 4])
    let moved = try check.builder.transpose(x, [2, 0, 1])
    let reshaped = try check.builder.reshape(moved, [4, 6])
    let cut = try check.builder.slice(reshaped, axis: 1, start: 1, end: 5)
    let padded = try check.builder.apply(.pad, [cut], ["pads": .ints([1, 0, 2, 1]), "value": .float(0.5)])
    let joined = try check.builder.concat([padded, try check.builder.unary(.tanh, padded)], axis: 0)
    let y = check.parameter("y", [1, 7])
    let stretched = try check.builder.apply(.broadcastTo, [y], ["shape": .dims([10, 7])])
    try check.check(try check.builder.mul(joined, stretched), "transpose/reshape/slice/pad/concat/broadcast_to")
  }

  @Test(arguments: [Op.reduceSum, .reduceMean, .reduceMax])
  func reductions(_ op: Op) throws {
    for (index, (axes, keep)) in [([0], false), ([1, 2], true), ([0, 1, 2], false), ([2], true)].enumerated() {
      var check = GradientCheck(seed: UInt64(80 + index))
      let x = check.parameter("x", [2, 3, 4], in: -3...3)
      try check.check(try check.builder.reduce(op, x, axes: axes, keepdims: keep), "\(op) axes \(axes) keepdims \(keep)")
    }
  }

  /// reduce_mean over a symbolic axis divides by a run-time count.
  @Test func reductionOverSymbolicAxis() throws {
    var check = GradientCheck(seed: 90)
    var random = SeededRandomForTests(seed: 5)
    let x = check.input("x", Tensor((0..<14).map { _ in random.next() }, shape: [2, 7]), declared: TensorType(.f64, [.symbol("B"), .symbol("T")]))
    let w = check.parameter("w", [1])
    let y = try check.builder.reduce(.reduceMean, try check.builder.mul(x, w), axes: [1])
    try check.check(try check.builder.unary(.tanh, y), "reduce_mean over T")
  }

  @Test func dropoutUsesTheForwardMask() throws {
    var check = GradientCheck(seed: 91)
    let x = check.parameter("x", [3, 8])
    let seed = check.input("seed", .scalar(Int64(42)))
    let mask = try check.builder.apply(.dropoutMask, [x, seed], ["p": .float(0.3), "stream": .int(7)])
    try check.check(try check.builder.mul(x, mask), "dropout")
  }

  /// weight_norm(dim=2) as the model builds it: g · v / ‖v‖ over (out, in) per tap.
  @Test func weightNorm() throws {
    var check = GradientCheck(seed: 92)
    let g = check.parameter("g", [1, 1, 3])
    let v = check.parameter("v", [4, 2, 3])
    let norm = try check.builder.unary(.sqrt, try check.builder.reduce(.reduceSum, try check.builder.mul(v, v), axes: [0, 1], keepdims: true))
    try check.check(try check.builder.mul(g, try check.builder.div(v, norm)), "weight norm")
  }

  /// SpecAugment: masked frames take masked_spec_embed.
  @Test func specAugmentMasking() throws {
    var check = GradientCheck(seed: 93)
    let x = check.parameter("x", [2, 4, 3])
    let embed = check.parameter("embed", [3])
    let mask = check.input("mask", Tensor([true, false, false, true, false, true, true, false], shape: [2, 4, 1]))
    try check.check(try check.builder.apply(.select, [mask, embed, x]), "spec augment")
  }

  @Test func ctcLossReductions() throws {
    for reduction in ["mean", "sum", "none"] {
      for zeroInfinity in [false, true] {
        var check = GradientCheck(seed: 94)
        let logits = check.parameter("logits", [3, 6, 5], in: -2...2)
        let logProbs = try check.builder.logSoftmax(logits, axis: -1)
        // Sample 2 is impossible (4 labels with a repeat need 5 frames, it has 3) when zero_infinity is on.
        let lengths = check.input("lengths", Tensor([6, 5, zeroInfinity ? 3 : 6] as [Int64], shape: [3]))
        let labels = check.input("labels", Tensor([1, 2, 2, -100, 3, -100, -100, -100, 4, 1, 1, 2] as [Int64], shape: [3, 4]))
        let loss = try check.builder.apply(
          .ctcLoss, [logProbs, lengths, labels], ["blank": .int(0), "reduction": .string(reduction), "zero_infinity": .bool(zeroInfinity)])
        try check.check(loss, "ctc_loss \(reduction) zero_infinity \(zeroInfinity)")
      }
    }
  }
}

/// Doubles in [-1, 1) for test inputs.
struct SeededRandomForTests {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) * 0x1.0p-52 - 1
  }
}
