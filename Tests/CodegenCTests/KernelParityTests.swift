import CodegenC
import IR
import Passes
import Runtime
import Testing

/// Contractions, normalisations, reductions, shape ops, dropout and CTC through the C backend
/// against the interpreter: the attribute variants of OpGradientTests, in f32 (and f64 where
/// the op has a separate path), each also differentiated so the gradient ops run too.
@Suite struct KernelParityTests {
  @Test(arguments: [DType.f32, .f64])
  func matmulVariants(_ dtype: DType) throws {
    for (index, shapes) in [([2, 3], [3, 4]), ([2, 2, 3], [3, 4]), ([2, 2, 3], [1, 3, 4]), ([1, 2, 3], [2, 3, 4]), ([3, 1, 2, 5], [4, 5, 3])].enumerated() {
      var graph = ParityGraph("matmul", seed: UInt64(20 + index))
      let a = graph.parameter("a", shapes.0, dtype: dtype)
      let b = graph.parameter("b", shapes.1, dtype: dtype)
      let product = try graph.builder.matmul(a, b)
      graph.output("y", product)
      try Parity.check(try graph.withGradients(of: product), inputs: graph.inputs, parameters: graph.parameters, "matmul \(dtype) \(shapes)")
    }
  }

  @Test func linearVariants() throws {
    for (index, (shape, bias)) in [([2, 3], true), ([2, 2, 3], false), ([3], true), ([2, 1, 2, 3], true)].enumerated() {
      var graph = ParityGraph("linear", seed: UInt64(30 + index))
      let x = graph.parameter("x", shape)
      let w = graph.parameter("w", [4, 3])
      let b = bias ? graph.parameter("b", [4]) : nil
      let y = try graph.builder.linear(x, w, b)
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "linear \(shape) bias \(bias)")
    }
  }

  /// Output large enough (40,960 elements) that the bias fill before the GEMM runs on every
  /// thread (ASRC_PARALLEL_MIN), with its gradients.
  @Test func linearWithBiasOnEveryThread() throws {
    var graph = ParityGraph("linear_wide", seed: 34)
    let x = graph.parameter("x", [2, 512, 8])
    let w = graph.parameter("w", [40, 8])
    let b = graph.parameter("b", [40])
    let y = try graph.builder.linear(x, w, b)
    graph.output("y", y)
    try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "linear [2, 512, 8] x [40, 8] with bias")
  }

  /// With 4 channels and kernel 3 the f32 convolutions take `DirectConvolutionEmitter`'s loops
  /// and the f64 ones im2col + GEMM.
  @Test(arguments: [DType.f32, .f64])
  func conv1dVariants(_ dtype: DType) throws {
    let variants: [(stride: Int, padding: Int, dilation: Int, groups: Int, bias: Bool)] = [
      (1, 0, 1, 1, false), (2, 0, 1, 1, true), (3, 2, 1, 1, true), (1, 1, 2, 1, false), (2, 2, 1, 2, true), (1, 3, 1, 4, true),
      // Padding wider than the kernel: whole runs of output positions read only padding, at
      // both ends, which im2col and col2im zero or skip apart from the strided copy.
      (3, 5, 2, 1, true), (2, 6, 1, 2, false),
    ]
    for (index, v) in variants.enumerated() {
      var graph = ParityGraph("conv1d", seed: UInt64(40 + index))
      let x = graph.parameter("x", [2, 4, 11], dtype: dtype)
      let w = graph.parameter("w", [4, 4 / v.groups, 3], dtype: dtype)
      let b = v.bias ? graph.parameter("b", [4], dtype: dtype) : nil
      let y = try graph.builder.conv1d(x, w, b, stride: v.stride, padding: v.padding, dilation: v.dilation, groups: v.groups)
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "conv1d \(dtype) \(v)")
    }
  }

  /// The feature encoder's first convolution in small: one channel of samples, kernel 10,
  /// stride 5, over lengths whose outputs (9 to 16 positions) end in every remainder of an
  /// 8-lane vector (the direct loops' tails), with and without a bias.
  @Test func conv1dOverSamples() throws {
    for (index, length) in [50, 56, 60, 67, 70, 78, 80, 89].enumerated() {
      var graph = ParityGraph("conv1d", seed: UInt64(80 + index))
      let x = graph.parameter("x", [3, 1, length])
      let w = graph.parameter("w", [8, 1, 10])
      let b = index.isMultiple(of: 2) ? graph.parameter("b", [8]) : nil
      let y = try graph.builder.conv1d(x, w, b, stride: 5, padding: 0, dilation: 1, groups: 1)
      graph.output("y", y)
      let program = try graph.withGradients(of: y)
      #expect(try CEmitter.emit(program).code.contains("direct convolution"), "length \(length): the direct loops were not used")
      try Parity.check(program, inputs: graph.inputs, parameters: graph.parameters, "conv1d over \(length) samples")
    }
  }

  /// More taps per output (12 or 16 channels a group × kernel 3) than the direct loops take:
  /// f32 goes to oneDNN's convolution (`FloatConvolutionPrelude`). On an AVX2 machine, run with
  /// ONEDNN_VERBOSE=1, the first four variants (stride, padding, dilation 2, 2 groups of 16
  /// with a bias) ran on `jit:avx2`; oneDNN 2.6 offered only its own im2col for the last two
  /// (stride 3 with padding 4; 2 groups of 12), which therefore take the emitted fallback.
  @Test func conv1dOnOneDNN() throws {
    let variants: [(stride: Int, padding: Int, dilation: Int, groups: Int, perGroup: Int, bias: Bool)] = [
      (1, 0, 1, 1, 12, false), (2, 1, 1, 1, 12, true), (1, 2, 2, 1, 12, true), (2, 1, 1, 2, 16, true), (3, 4, 1, 1, 12, true), (2, 1, 1, 2, 12, false),
    ]
    for (index, v) in variants.enumerated() {
      var graph = ParityGraph("conv1d", seed: UInt64(90 + index))
      let filters = v.groups * (v.perGroup == 16 ? 8 : 3)
      let x = graph.parameter("x", [3, v.perGroup * v.groups, 13])
      let w = graph.parameter("w", [filters, v.perGroup, 3])
      let b = v.bias ? graph.parameter("b", [filters]) : nil
      let y = try graph.builder.conv1d(x, w, b, stride: v.stride, padding: v.padding, dilation: v.dilation, groups: v.groups)
      graph.output("y", y)
      let program = try graph.withGradients(of: y)
      #expect(try CEmitter.emit(program).code.contains("if (asrc_conv1d_f32("), "\(v): \(v.perGroup * 3) taps did not go to oneDNN")
      try Parity.check(program, inputs: graph.inputs, parameters: graph.parameters, "conv1d on oneDNN \(v)")
    }
  }

  /// Items too large for one oneDNN call (each 29 MB of blocked input and output against
  /// `FloatConvolutionPrelude`'s 64 MiB a call): three go through in a group of two and one.
  @Test func conv1dOnOneDNNInGroupsOfItems() throws {
    var graph = ParityGraph("conv1d", seed: 95)
    let x = graph.parameter("x", [3, 16, 300_000])
    let w = graph.parameter("w", [16, 16, 3])
    let y = try graph.builder.conv1d(x, w, graph.parameter("b", [16]), stride: 2, padding: 0, dilation: 1, groups: 1)
    graph.output("y", y)
    try Parity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, "conv1d in groups of items")
  }

  /// Enough (sample, group) items for the C backend to run them over the threads, each thread
  /// summing into its own copy of the weight gradient (`ContractionEmitter`), on up to 4
  /// threads; most variants above, with 2 samples, run their items in turn.
  @Test(arguments: [DType.f32, .f64])
  func conv1dManyItems(_ dtype: DType) throws {
    for (index, groups) in [1, 2].enumerated() {
      var graph = ParityGraph("conv1d", seed: UInt64(70 + index))
      let x = graph.parameter("x", [17, 4, 13], dtype: dtype)
      let w = graph.parameter("w", [4, 4 / groups, 3], dtype: dtype)
      let y = try graph.builder.conv1d(x, w, nil, stride: 2, padding: 1, dilation: 1, groups: groups)
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "conv1d \(dtype) 17 samples, groups \(groups)")
    }
  }

  @Test func normalizations() throws {
    for (index, groups) in [1, 2, 4].enumerated() {
      var graph = ParityGraph("group_norm", seed: UInt64(50 + index))
      let x = graph.parameter("x", [2, 4, 5])
      let y = try graph.builder.groupNorm(x, graph.parameter("w", [4]), graph.parameter("b", [4]), groups: groups, eps: 1e-5)
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "group_norm groups \(groups)")
    }
    for (index, shape) in [[6], [2, 5], [2, 3, 4]].enumerated() {
      var graph = ParityGraph("layer_norm", seed: UInt64(55 + index))
      let x = graph.parameter("x", shape)
      let width = shape.last!
      let y = try graph.builder.layerNorm(x, graph.parameter("w", [width]), graph.parameter("b", [width]), eps: 1e-5)
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "layer_norm \(shape)")
    }
  }

  @Test(arguments: [Op.softmax, .logSoftmax])
  func softmaxFamily(_ op: Op) throws {
    for axis in [0, 1, 2] {
      var graph = ParityGraph("softmax", seed: UInt64(60 + axis))
      let x = graph.parameter("x", [2, 3, 4], in: -3...3)
      let y = try graph.builder.apply(op, [x], ["axis": .int(axis)])
      graph.output("y", y)
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "\(op) axis \(axis)")
    }
  }

  @Test func shapeOps() throws {
    var graph = ParityGraph("shape", seed: 70)
    let x = graph.parameter("x", [2, 3, 4])
    let moved = try graph.builder.transpose(x, [2, 0, 1])
    let reshaped = try graph.builder.reshape(moved, [4, 6])
    let cut = try graph.builder.slice(reshaped, axis: 1, start: 1, end: 5)
    let strided = try graph.builder.slice(reshaped, axis: 1, start: 1, end: 6, step: 2)
    let padded = try graph.builder.apply(.pad, [cut], ["pads": .ints([1, 0, 2, 1]), "value": .float(0.5)])
    let joined = try graph.builder.concat([padded, try graph.builder.unary(.tanh, padded)], axis: 0)
    let y = graph.parameter("y", [1, 7])
    let stretched = try graph.builder.apply(.broadcastTo, [y], ["shape": .dims([10, 7])])
    let result = try graph.builder.mul(joined, stretched)
    graph.output("y", result)
    graph.output("strided", strided)
    graph.output("joined_inner", try graph.builder.concat([cut, strided, cut], axis: 1))
    try Parity.check(try graph.withGradients(of: result), inputs: graph.inputs, parameters: graph.parameters, "transpose/reshape/slice/pad/concat/broadcast_to")
  }

  @Test(arguments: [Op.reduceSum, .reduceMean, .reduceMax])
  func reductions(_ op: Op) throws {
    for (index, (axes, keep)) in [([0], false), ([1, 2], true), ([0, 1, 2], false), ([2], true), ([0, 2], false)].enumerated() {
      var graph = ParityGraph("reduce", seed: UInt64(80 + index))
      let x = graph.parameter("x", [2, 3, 4], in: -3...3)
      let y = try graph.builder.reduce(op, x, axes: axes, keepdims: keep)
      graph.output("y", y)
      let integers = try graph.builder.cast(try graph.builder.mul(x, try graph.builder.constant(10, .f32)), to: .i64)
      graph.output("integer", try graph.builder.reduce(op, integers, axes: axes, keepdims: keep))
      graph.output("argmax", try graph.builder.apply(.argmax, [x], ["axis": .int(axes[0])]))
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, "\(op) axes \(axes) keepdims \(keep)")
    }
  }

  /// Symbolic sizes: B and T bound at run time, reduce_mean dividing by a run-time count, and
  /// a slice ending at a symbolic bound; run at two sizes through one library.
  @Test func symbolicSizes() throws {
    for (batch, length) in [(2, 7), (3, 4)] {
      var graph = ParityGraph("symbolic", seed: 90)
      let x = graph.input("x", graph.values.floats([batch, length]), declared: TensorType(.f32, [.symbol("B"), .symbol("T")]))
      let w = graph.parameter("w", [1])
      let mean = try graph.builder.reduce(.reduceMean, try graph.builder.mul(x, w), axes: [1])
      graph.output("tanh_mean", try graph.builder.unary(.tanh, mean))
      let tail = try graph.builder.slice(x, axis: 1, start: 1, end: .symbol("T"))
      graph.output("tail", try graph.builder.reshape(tail, [.symbol("B") * 1, .symbol("T") - 1]))
      graph.output("softmax", try graph.builder.softmax(x, axis: 1))
      try Parity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, "symbolic B=\(batch) T=\(length)")
    }
  }

  @Test func dropoutMaskIsTheInterpretersStream() throws {
    for (index, p) in [0.0, 0.3, 0.9].enumerated() {
      var graph = ParityGraph("dropout", seed: UInt64(91 + index))
      let x = graph.parameter("x", [3, 37])
      let seed = graph.input("seed", .scalar(Int64(42 - index)))
      let mask = try graph.builder.apply(.dropoutMask, [x, seed], ["p": .float(p), "stream": .int(7 + index)])
      graph.output("mask", mask)
      let y = try graph.builder.mul(x, mask)
      // Bit for bit: a tolerance of 0.
      try Parity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, tolerance: 0, "dropout p \(p)")
    }
  }

  @Test func ctcLossReductions() throws {
    for reduction in ["mean", "sum", "none"] {
      for zeroInfinity in [false, true] {
        var graph = ParityGraph("ctc", seed: 94)
        let logits = graph.parameter("logits", [3, 6, 5], in: -2...2)
        let logProbs = try graph.builder.logSoftmax(logits, axis: -1)
        let lengths = graph.input("lengths", Tensor([6, 5, zeroInfinity ? 3 : 6] as [Int64], shape: [3]))
        let labels = graph.input("labels", Tensor([1, 2, 2, -100, 3, -100, -100, -100, 4, 1, 1, 2] as [Int64], shape: [3, 4]))
        let loss = try graph.builder.apply(
          .ctcLoss, [logProbs, lengths, labels], ["blank": .int(0), "reduction": .string(reduction), "zero_infinity": .bool(zeroInfinity)])
        graph.output("y", loss)
        try Parity.check(try graph.withGradients(of: loss), inputs: graph.inputs, parameters: graph.parameters, "ctc_loss \(reduction) zero_infinity \(zeroInfinity)")
      }
    }
  }

  /// A batch large enough that the samples' lattices run on the threads (batch × frames ×
  /// extended labels ≥ 4096), one sample impossible (zeroed with zero_infinity) and one empty.
  @Test func ctcLossOnTheThreads() throws {
    var graph = ParityGraph("ctc_threads", seed: 96)
    let (batch, frames, width) = (6, 60, 12)
    let logits = graph.parameter("logits", [batch, frames, 7], in: -2...2)
    let logProbs = try graph.builder.logSoftmax(logits, axis: -1)
    let lengths = graph.input("lengths", Tensor([60, 55, 40, 60, 8, 0] as [Int64], shape: [batch]))
    var labels = [Int64](repeating: -100, count: batch * width)
    for b in 0..<batch {
      for j in 0..<(b == 4 ? width : 2 * b + 1) { labels[b * width + j] = Int64(1 + (b + 2 * j) % 6) }
    }
    let labelTensor = graph.input("labels", Tensor(labels, shape: [batch, width]))
    let loss = try graph.builder.apply(.ctcLoss, [logProbs, lengths, labelTensor], ["blank": .int(0), "reduction": .string("mean"), "zero_infinity": .bool(true)])
    graph.output("y", loss)
    try Parity.check(try graph.withGradients(of: loss), inputs: graph.inputs, parameters: graph.parameters, "ctc_loss on the threads")
  }

  /// An impossible alignment without zero_infinity: an infinite loss and NaN gradients, as
  /// the interpreter gives.
  @Test func ctcInfiniteLoss() throws {
    var graph = ParityGraph("ctc_inf", seed: 95)
    let logits = graph.parameter("logits", [1, 2, 4])
    let logProbs = try graph.builder.logSoftmax(logits, axis: -1)
    let lengths = graph.input("lengths", Tensor([2] as [Int64], shape: [1]))
    let labels = graph.input("labels", Tensor([1, 1, 2] as [Int64], shape: [1, 3]))
    let loss = try graph.builder.apply(.ctcLoss, [logProbs, lengths, labels], ["blank": .int(0), "reduction": .string("sum"), "zero_infinity": .bool(false)])
    graph.output("y", loss)
    try Parity.check(try graph.withGradients(of: loss), inputs: graph.inputs, parameters: graph.parameters, "ctc infinite")
  }
}
