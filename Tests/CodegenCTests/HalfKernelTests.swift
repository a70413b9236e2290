import CRuntime
import CodegenC
import IR
import Passes
import Runtime
import Testing

/// Kernels on f16 and bf16 through the C backend against the interpreter, each differentiated
/// so the gradient ops run in the half dtype too. Norms, softmax, reductions, dropout and CTC
/// widen to f32 as the interpreter does; matmul, linear and the convolutions run the half GEMM
/// (oneDNN for bf16 where it has a bf16 matmul, summing in its own order; f16, and bf16 on
/// other CPUs, widened to the f32 GEMM), measured in ulps
/// at the scale of each output against the interpreter's widened f32 GEMM rounded once.
///
/// Measured on an Intel CPU with AMX: every output of the widened kernels bit for bit; the
/// GEMMs bit for bit but for one bf16 linear gradient 0.125 ulps apart at its scale. On an AMD
/// Zen 3 without AVX-512 (oneDNN's AVX2 sgemm under the widened f16 GEMM), one f16 product
/// (32 × 640 by 640 × 54) differed below half an ulp and the loss summed from it rounded the
/// other way: 1 ulp. The bounds are 0 for the widened kernels (the same f32 code in the same
/// order) and 1 ulp for the GEMMs, the worst measured: another CPU's kernel sums in another
/// order, and a sum that differs in its last bits can round to the neighbouring half value.
@Suite struct HalfKernelTests {
  static let halves: [DType] = [.f16, .bf16]
  static let gemmUlps = 1.0

  @Test(arguments: halves)
  func matmulVariants(_ dtype: DType) throws {
    let shapes = [
      ([2, 3], [3, 4]), ([2, 2, 3], [3, 4]), ([2, 2, 3], [1, 3, 4]), ([1, 2, 3], [2, 3, 4]), ([3, 1, 2, 5], [4, 5, 3]),
      ([2, 3, 17, 8], [2, 3, 8, 19]), ([40, 96], [96, 72]),
      // Shapes of the kinds Debian's oneDNN 2.6 AMX kernels get wrong on its own two threads (a
      // few rows, 49 to 62 columns) or crash on (an odd K, batched), which tools/probe-onednn-bf16
      // shows: they take asrc_gemm_half's split over columns, its split over batch items and
      // its padding of K.
      ([32, 640], [640, 54]), ([8, 208, 63], [63, 51]), ([8, 208, 63], [8, 63, 51]),
    ]
    for (index, shape) in shapes.enumerated() {
      var graph = ParityGraph("matmul_half", seed: UInt64(20 + index))
      let a = graph.parameter("a", shape.0, dtype: dtype)
      let b = graph.parameter("b", shape.1, dtype: dtype)
      let product = try graph.builder.matmul(a, b)
      graph.output("y", product)
      try HalfParity.check(
        try graph.withGradients(of: product), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
        "matmul \(dtype) \(shape)")
    }
  }

  @Test(arguments: halves)
  func linearVariants(_ dtype: DType) throws {
    for (index, (shape, features, bias)) in [([2, 3], [4, 3], true), ([2, 2, 3], [4, 3], false), ([3], [4, 3], true), ([2, 1, 2, 3], [4, 3], true), ([3, 50, 64], [96, 64], true),
      // 40,960 outputs: the bias fill runs on every thread (ASRC_PARALLEL_MIN).
      ([2, 512, 8], [40, 8], true)].enumerated() {
      var graph = ParityGraph("linear_half", seed: UInt64(30 + index))
      let x = graph.parameter("x", shape, dtype: dtype)
      let w = graph.parameter("w", features, dtype: dtype)
      let b = bias ? graph.parameter("b", [features[0]], dtype: dtype) : nil
      let y = try graph.builder.linear(x, w, b)
      graph.output("y", y)
      try HalfParity.check(
        try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
        "linear \(dtype) \(shape) bias \(bias)")
    }
  }

  @Test(arguments: halves)
  func conv1dVariants(_ dtype: DType) throws {
    let variants: [(stride: Int, padding: Int, dilation: Int, groups: Int, bias: Bool)] = [
      (1, 0, 1, 1, false), (2, 0, 1, 1, true), (3, 2, 1, 1, true), (1, 1, 2, 1, false), (2, 2, 1, 2, true), (1, 3, 1, 4, true),
    ]
    for (index, v) in variants.enumerated() {
      var graph = ParityGraph("conv1d_half", seed: UInt64(40 + index))
      let x = graph.parameter("x", [2, 8, 61], dtype: dtype)
      let w = graph.parameter("w", [8, 8 / v.groups, 3], dtype: dtype)
      let b = v.bias ? graph.parameter("b", [8], dtype: dtype) : nil
      let y = try graph.builder.conv1d(x, w, b, stride: v.stride, padding: v.padding, dilation: v.dilation, groups: v.groups)
      graph.output("y", y)
      try HalfParity.check(
        try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
        "conv1d \(dtype) \(v)")
    }
  }

  /// bf16 input gradients of ungrouped convolutions run on oneDNN's AMX convolution (batch items
  /// split over the threads, channels-last copies); a batch of one, fewer items than threads,
  /// takes im2col + GEMM. Both against the interpreter, at widths the AMX kernel takes.
  @Test func convolutionInputGradientsOnOneDNN() throws {
    let variants: [(batch: Int, stride: Int, padding: Int, dilation: Int)] = [(3, 2, 0, 1), (2, 1, 2, 2), (4, 3, 1, 1), (1, 2, 0, 1)]
    for (index, v) in variants.enumerated() {
      var graph = ParityGraph("conv1d_grad_bf16", seed: UInt64(140 + index))
      let x = graph.parameter("x", [v.batch, 64, 301], dtype: .bf16)
      let w = graph.parameter("w", [48, 64, 3], dtype: .bf16)
      let y = try graph.builder.conv1d(x, w, nil, stride: v.stride, padding: v.padding, dilation: v.dilation, groups: 1)
      graph.output("y", y)
      try HalfParity.check(
        try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
        "conv1d input gradient bf16 \(v)")
    }
  }

  @Test(arguments: halves)
  func normalizationsAndSoftmax(_ dtype: DType) throws {
    for (index, groups) in [1, 2, 4].enumerated() {
      var graph = ParityGraph("group_norm_half", seed: UInt64(50 + index))
      let x = graph.parameter("x", [2, 4, 5], dtype: dtype)
      let y = try graph.builder.groupNorm(x, graph.parameter("w", [4], dtype: dtype), graph.parameter("b", [4], dtype: dtype), groups: groups, eps: 1e-5)
      graph.output("y", y)
      try HalfParity.check(
        try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 0, "group_norm \(dtype) groups \(groups)")
    }
    var graph = ParityGraph("layer_norm_half", seed: 55)
    let x = graph.parameter("x", [2, 3, 8], dtype: dtype)
    let y = try graph.builder.layerNorm(x, graph.parameter("w", [8], dtype: dtype), graph.parameter("b", [8], dtype: dtype), eps: 1e-5)
    graph.output("y", y)
    try HalfParity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 0, "layer_norm \(dtype)")
    for op in [Op.softmax, .logSoftmax] {
      var graph = ParityGraph("softmax_half", seed: 60)
      let x = graph.parameter("x", [2, 3, 4], in: -3...3, dtype: dtype)
      let y = try graph.builder.apply(op, [x], ["axis": .int(2)])
      graph.output("y", y)
      try HalfParity.check(try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 0, "\(op) \(dtype)")
    }
  }

  /// A softmax between mixed precision's casts runs as one kernel (HalfSoftmax) that widens as
  /// it reads and rounds as it writes: bit for bit the three kernels it replaces (the graph
  /// unfused, each op its own kernel), and within the softmax's own rounding of the interpreter
  /// (its sum runs in vector lanes, the interpreter's in order). Rows longer than a vector and not
  /// a multiple of it; with the f32 probabilities also an output (only the widening fuses) and
  /// without.
  @Test(arguments: halves)
  func softmaxBetweenCasts(_ dtype: DType) throws {
    for (index, keepsF32) in [false, true].enumerated() {
      var graph = ParityGraph("softmax_between_casts", seed: UInt64(65 + index))
      let x = graph.input("x", [2, 3, 37, 37], in: -8...8, dtype: dtype)
      let probabilities = try graph.builder.apply(.softmax, [try graph.builder.cast(x, to: .f32)], ["axis": .int(3)])
      graph.output("y", try graph.builder.cast(probabilities, to: dtype))
      if keepsF32 { graph.output("p", probabilities) }
      let program = try graph.graph()
      let fused = try PassManager(passes: Parity.fusion).run(program).graph
      #expect(try CEmitter.emit(fused).code.contains("one f32 row of exponentials per thread"), "the fused kernel was not used")
      try HalfParity.check(program, inputs: graph.inputs, allowedUlps: 1, fused: true, "softmax between \(dtype) casts, f32 output \(keepsF32)")
      let separate = try Parity.backend.run(program, inputs: graph.inputs, parameters: [:])
      let together = try Parity.backend.run(fused, inputs: graph.inputs, parameters: [:])
      for name in separate.keys.sorted() {
        let sameBits = together[name]?.doubles == separate[name]?.doubles
        #expect(sameBits, "\(dtype) \(name): the fused kernel's bits differ from the separate kernels'")
      }
    }
  }

  /// Half-precision norms with an elementwise op after them, fused into one region: the norm
  /// still runs widened (it must not take the nest into its loop on the half bits).
  @Test(arguments: halves)
  func normsFusedWithAnEpilogue(_ dtype: DType) throws {
    var graph = ParityGraph("half_norm_epilogue", seed: 57)
    let x = graph.parameter("x", [2, 3, 24], dtype: dtype)
    let n = try graph.builder.layerNorm(x, graph.parameter("w", [24], dtype: dtype), graph.parameter("b", [24], dtype: dtype), eps: 1e-5)
    graph.output("y", try graph.builder.unary(.gelu, n))
    let h = graph.parameter("h", [2, 4, 9], dtype: dtype)
    let m = try graph.builder.groupNorm(h, graph.parameter("gw", [4], dtype: dtype), graph.parameter("gb", [4], dtype: dtype), groups: 2, eps: 1e-5)
    graph.output("z", try graph.builder.add(m, h))
    try HalfParity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 1, fused: true, "\(dtype) norms with an epilogue")
  }

  @Test(arguments: halves)
  func reductionsAndArgmax(_ dtype: DType) throws {
    for op in [Op.reduceSum, .reduceMean, .reduceMax] {
      for (index, (axes, keep)) in [([0], false), ([1, 2], true), ([0, 2], false)].enumerated() {
        var graph = ParityGraph("reduce_half", seed: UInt64(80 + index))
        let x = graph.parameter("x", [2, 3, 4], in: -3...3, dtype: dtype)
        let y = try graph.builder.reduce(op, x, axes: axes, keepdims: keep)
        graph.output("y", y)
        graph.output("argmax", try graph.builder.apply(.argmax, [x], ["axis": .int(axes[0])]))
        try HalfParity.check(
          try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 0, "\(op) \(dtype) axes \(axes)")
      }
    }
  }

  @Test(arguments: halves)
  func dropoutAndCTC(_ dtype: DType) throws {
    var graph = ParityGraph("dropout_half", seed: 91)
    let x = graph.parameter("x", [3, 37], dtype: dtype)
    let seed = graph.input("seed", .scalar(Int64(42)))
    let mask = try graph.builder.apply(.dropoutMask, [x, seed], ["p": .float(0.3), "stream": .int(7)])
    graph.output("mask", mask)
    let dropped = try graph.builder.mul(x, mask)
    try HalfParity.check(try graph.withGradients(of: dropped), inputs: graph.inputs, parameters: graph.parameters, allowedUlps: 0, "dropout \(dtype)")

    var ctc = ParityGraph("ctc_half", seed: 94)
    let logits = ctc.parameter("logits", [3, 6, 5], in: -2...2, dtype: dtype)
    let logProbs = try ctc.builder.logSoftmax(logits, axis: -1)
    let lengths = ctc.input("lengths", Tensor([6, 5, 6] as [Int64], shape: [3]))
    let labels = ctc.input("labels", Tensor([1, 2, 2, -100, 3, -100, -100, -100, 4, 1, 1, 2] as [Int64], shape: [3, 4]))
    let loss = try ctc.builder.apply(.ctcLoss, [logProbs, lengths, labels], ["blank": .int(0), "reduction": .string("mean"), "zero_infinity": .bool(false)])
    ctc.output("y", loss)
    try HalfParity.check(try ctc.withGradients(of: loss), inputs: ctc.inputs, parameters: ctc.parameters, allowedUlps: 0, "ctc_loss \(dtype)")
  }

  /// With a primitive table of one entry (built so here), shapes replace each other in it, or
  /// take a primitive of their own while another thread runs the entry, with the same results.
  /// (Where oneDNN has no bf16 matmul, on a CPU without AVX-512, the table is never used and
  /// this checks the widened path.)
  @Test func gemmsPastThePrimitiveCache() throws {
    var compiler = CCompiler()
    compiler.extraFlags.append("-DASRC_HALF_DNNL_CACHE=1")
    var graph = ParityGraph("cache_half", seed: 33)
    let x = graph.parameter("x", [6, 40], dtype: .bf16)
    let w = graph.parameter("w", [24, 40], dtype: .bf16)
    let y = try graph.builder.linear(x, w)
    graph.output("y", y)
    graph.output("z", try graph.builder.matmul(y, try graph.builder.transpose(y, [1, 0])))
    try HalfParity.check(
      try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
      backend: CBackend(compiler: compiler),
      "past the primitive cache")
  }

  /// bf16 GEMMs where oneDNN has no bf16 matmul take f16's widened path (`asrc_half_on_dnnl`);
  /// built with ASRC_HALF_BF16_ON_DNNL=0, CPUs that do have one run that path too: transposed,
  /// batched, odd-K and accumulating (the gradients) products against the interpreter.
  @Test func bf16GemmsWidenedWhereOneDNNHasNone() throws {
    var compiler = CCompiler()
    compiler.extraFlags.append("-DASRC_HALF_BF16_ON_DNNL=0")
    var graph = ParityGraph("widened_bf16", seed: 34)
    let x = graph.parameter("x", [8, 20, 63], dtype: .bf16)
    let w = graph.parameter("w", [8, 63, 51], dtype: .bf16)
    let v = graph.parameter("v", [24, 51], dtype: .bf16)
    let product = try graph.builder.matmul(x, w)
    let y = try graph.builder.linear(product, v)
    graph.output("y", y)
    try HalfParity.check(
      try graph.withGradients(of: y), inputs: graph.inputs, parameters: graph.parameters, measure: .scaleUlps, allowedUlps: Self.gemmUlps,
      backend: CBackend(compiler: compiler), "bf16 widened")
  }
}
