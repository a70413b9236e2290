import CodegenC
import IR
import Passes
import Runtime
import Testing

/// Small graphs of the shapes the fusion passes make regions of, run after the passes: one
/// C function per region (loop nests for elementwise runs, kernels inside for the rest, extra
/// results for values read outside).
@Suite struct FusedParityTests {
  @Test func elementwiseDAGWithBroadcastAndConstant() throws {
    var graph = ParityGraph("dag")
    let x = graph.input("x", [3, 5])
    let b = graph.parameter("b", [5])
    let half = try graph.builder.constant(0.5, .f32)
    let s = try graph.builder.add(x, b)
    let t = try graph.builder.unary(.tanh, s)
    let m = try graph.builder.mul(t, half)
    let e = try graph.builder.unary(.exp, s)
    graph.output("y", try graph.builder.add(m, e))
    graph.output("s", s)
    try Parity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, fused: true, "elementwise DAG")
  }

  @Test func linearEpilogue() throws {
    var graph = ParityGraph("epilogue")
    let x = graph.input("x", [2, 3, 8])
    let h = try graph.builder.linear(x, graph.parameter("w", [8, 8]), graph.parameter("b", [8]))
    let g = try graph.builder.unary(.gelu, h)
    let r = try graph.builder.add(x, g)
    graph.output("y", r)
    graph.output("h", h)
    try Parity.check(try graph.withGradients(of: r), inputs: graph.inputs, parameters: graph.parameters, fused: true, "linear epilogue")
  }

  @Test func convolutionEpilogue() throws {
    var graph = ParityGraph("conv_epilogue")
    let x = graph.input("x", [2, 4, 16])
    let y = try graph.builder.conv1d(x, graph.parameter("w", [6, 4, 3]), graph.parameter("b", [6]), stride: 2, padding: 1, dilation: 1, groups: 1)
    let g = try graph.builder.unary(.gelu, y)
    graph.output("y", g)
    try Parity.check(try graph.withGradients(of: g), inputs: graph.inputs, parameters: graph.parameters, fused: true, "conv epilogue")
  }

  @Test func residualLayerNormRegion() throws {
    var graph = ParityGraph("residual_norm")
    let x = graph.input("x", [2, 8])
    let r = graph.input("r", [2, 8])
    let s = try graph.builder.add(x, r)
    let n = try graph.builder.layerNorm(s, graph.parameter("w", [8]), graph.parameter("b", [8]), eps: 1e-5)
    let u = try graph.builder.add(try graph.builder.transpose(n, [1, 0]), try graph.builder.transpose(s, [1, 0]))
    graph.output("y", u)
    try Parity.check(try graph.withGradients(of: u), inputs: graph.inputs, parameters: graph.parameters, fused: true, "residual + layer norm")
  }

  /// A group norm or layer norm whose result only the elementwise nest after it reads is
  /// lowered with that nest's body in its own loop: the feature encoder's group norm + gelu
  /// (+ a narrowing cast in bf16), and a layer norm + residual add; with the normalised values
  /// also an output (the backward's saved activation) and without, and with the backward.
  @Test(arguments: [false, true])
  func normalizationWithItsEpilogue(_ normalizedIsOutput: Bool) throws {
    var graph = ParityGraph("norm_epilogue", seed: normalizedIsOutput ? 7 : 8)
    let x = graph.input("x", [2, 6, 37])
    let n = try graph.builder.groupNorm(x, graph.parameter("w", [6]), graph.parameter("b", [6]), groups: 6, eps: 1e-5)
    let g = try graph.builder.unary(.gelu, n)
    graph.output("y", g)
    graph.output("y_bf16", try graph.builder.cast(g, to: .bf16))
    if normalizedIsOutput { graph.output("n", n) }
    let h = graph.input("h", [2, 5, 24])
    let m = try graph.builder.layerNorm(h, graph.parameter("gamma", [24]), graph.parameter("beta", [24]), eps: 1e-5)
    graph.output("z", try graph.builder.add(try graph.builder.unary(.gelu, m), h))
    if normalizedIsOutput { graph.output("m", m) }
    let program = try graph.graph()
    let code = try CEmitter.emit(try PassManager(passes: Parity.fusion).run(program).graph).code
    #expect(code.components(separatedBy: "// and in its loop: ").count - 1 == 2, "both normalisations should take their epilogues into their loops")
    try Parity.check(program, inputs: graph.inputs, parameters: graph.parameters, fused: true, "normalisation epilogue, normalised output \(normalizedIsOutput)")
    try Parity.check(try graph.withGradients(of: g), inputs: graph.inputs, parameters: graph.parameters, fused: true, "normalisation epilogue with the backward")
  }

  /// Attention's scale + mask + softmax over the last axis, and its backward.
  @Test func scaledMaskedSoftmaxRegion() throws {
    var graph = ParityGraph("attention_scores")
    let scores = graph.parameter("scores", [2, 3, 5, 5], in: -3...3)
    let mask = graph.input("mask", [2, 1, 1, 5], in: -1...0)
    let scaled = try graph.builder.mul(scores, try graph.builder.constant(0.125, .f32))
    let probabilities = try graph.builder.softmax(try graph.builder.add(scaled, mask), axis: 3)
    graph.output("p", probabilities)
    try Parity.check(try graph.withGradients(of: probabilities), inputs: graph.inputs, parameters: graph.parameters, fused: true, "scaled masked softmax")
  }

  @Test func groupNormWithGeluRegion() throws {
    var graph = ParityGraph("group_norm_gelu")
    let x = graph.parameter("x", [2, 4, 6])
    let n = try graph.builder.groupNorm(x, graph.parameter("w", [4]), graph.parameter("b", [4]), groups: 4, eps: 1e-5)
    let g = try graph.builder.unary(.gelu, n)
    graph.output("y", g)
    try Parity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, fused: true, "group norm + gelu")
  }

  /// Group norm's backward after fuse-reductions.
  @Test func groupNormBackwardRegion() throws {
    var graph = ParityGraph("group_norm_backward")
    let x = graph.parameter("x", [2, 4, 6])
    let n = try graph.builder.groupNorm(x, graph.parameter("w", [4]), graph.parameter("b", [4]), groups: 2, eps: 1e-5)
    graph.output("y", n)
    try Parity.check(try graph.withGradients(of: n), inputs: graph.inputs, parameters: graph.parameters, fused: true, "group norm backward")
  }

  /// Group norm's backward with its forward recomputed in it (gradient checkpointing): dγ and
  /// dβ are summed in the loop nest that computes dy, and the group norm writes into dy·w's
  /// result, which that nest overwrites element by element, so the region needs no full-size
  /// scratch.
  @Test func recomputedGroupNormBackwardSumsInItsLoopNest() throws {
    var graph = ParityGraph("group_norm_recomputed")
    let x = graph.input("x", [2, 4, 6])
    let d = graph.input("d", [2, 4, 6])
    let xHat = graph.input("xhat", [2, 4, 6])
    let w = graph.parameter("w", [4])
    let n = try graph.builder.groupNorm(x, w, graph.parameter("b", [4]), groups: 4, eps: 1e-5, name: "n")
    let dy = try graph.builder.apply(.geluGrad, [n, d], name: "dy")
    graph.output("dyw", try graph.builder.mul(dy, try graph.builder.reshape(w, [1, 4, 1]), name: "dyw"))
    graph.output("dgamma", try graph.builder.reduce(.reduceSum, try graph.builder.mul(dy, xHat, name: "p"), axes: [0, 2], name: "dgamma"))
    graph.output("dbeta", try graph.builder.reduce(.reduceSum, dy, axes: [0, 2], name: "dbeta"))
    let program = try graph.graph()
    try Parity.check(program, inputs: graph.inputs, parameters: graph.parameters, fused: true, "recomputed group norm backward")
    #expect(try Self.scratch(program) == ["per-row sums of %dgamma.inner", "per-row sums of %dbeta.inner"])
  }

  /// A group norm's backward as autodiff writes it: the statistics region centres x again
  /// where it needs x − mean after the variance (instead of storing it), and sums the means of
  /// dy·w and dy·w·x̂ in the nest that computes x̂; the column sums compute dy·x̂ as they sum.
  /// Only per-row values are scratch.
  @Test func groupNormBackwardStoresNoFullSizeScratch() throws {
    let program = try Parser.parseAndVerify(Self.groupNormBackward)
    try Parity.check(program, inputs: Self.values(program.inputs, of: program), parameters: Self.values(program.parameters, of: program), fused: true, "group norm backward")
    #expect(try Set(Self.scratch(program)) == ["%mean", "%var", "%inv", "%m1", "%m2", "per-row sums of %dw.inner", "per-row sums of %db.inner"])
    #expect(try Self.fullSizeScratch(program, shape: [2, 4, 1, 6]) == [])
  }

  /// The first convolution of base's feature encoder in small: conv1d, group norm with one group
  /// per channel, GELU, and every gradient.
  @Test func convolutionGroupNormGeluWithGradients() throws {
    var graph = ParityGraph("conv_group_norm")
    let samples = graph.input("samples", [2, 1, 40])
    let x = try graph.builder.conv1d(samples, graph.parameter("k", [4, 1, 10]), nil, stride: 5, padding: 0, dilation: 1, groups: 1)
    let n = try graph.builder.groupNorm(x, graph.parameter("w", [4]), graph.parameter("b", [4]), groups: 4, eps: 1e-5)
    let g = try graph.builder.unary(.gelu, n)
    try Parity.check(try graph.withGradients(of: g), inputs: graph.inputs, parameters: graph.parameters, fused: true, "conv + group norm + gelu")
  }

  /// A layer norm's backward over [batch, frames, features] as autodiff writes it (a feature
  /// encoder layer of the large configuration, features last): dγ and dβ are column sums over
  /// batch and frames, added per chunk of rows in the nest that computes dy·x̂, and x − mean
  /// and x̂ are computed again where needed, so no full-size value is scratch.
  @Test func layerNormBackwardSumsColumnsInItsLoopNest() throws {
    let program = try Parser.parseAndVerify(Self.layerNormBackward)
    try Parity.check(program, inputs: Self.values(program.inputs, of: program), parameters: Self.values(program.parameters, of: program), fused: true, "layer norm backward")
    #expect(try Self.scratch(program).contains { $0.hasPrefix("column sums per chunk of rows") })
    #expect(try Self.fullSizeScratch(program, shape: [2, 70, 8]) == [])
  }

  /// Sums and means over a trailing block run as loop nests of their own (rows in parallel),
  /// those with axes before the block finish over the per-row sums; a sum whose rows are the
  /// leading axis alone stays the reduction kernel. Unfused and fused, f32 and f64.
  @Test(arguments: [DType.f32, .f64]) func reductionsOverTrailingBlocks(dtype: DType) throws {
    var graph = ParityGraph("trailing_sums_\(dtype)")
    let x = graph.input("x", [3, 4, 2, 5], dtype: dtype)
    let e = try graph.builder.unary(.exp, x)
    graph.output("columns", try graph.builder.reduce(.reduceMean, e, axes: [0, 3]))
    graph.output("rows", try graph.builder.reduce(.reduceSum, try graph.builder.mul(e, x), axes: [2, 3], keepdims: true))
    graph.output("samples", try graph.builder.reduce(.reduceSum, e, axes: [1, 2, 3]))
    graph.output("spread", try graph.builder.reduce(.reduceMean, x, axes: [0, 2, 3]))
    let program = try graph.graph()
    try Parity.check(program, inputs: graph.inputs, "trailing sums, \(dtype)")
    try Parity.check(program, inputs: graph.inputs, fused: true, "trailing sums fused, \(dtype)")
  }

  /// The notes of the scratch buffers the C code of `graph` allocates after fusion.
  private static func scratch(_ graph: Graph) throws -> [String] {
    let code = try CEmitter.emit(try PassManager(passes: Parity.fusion).run(graph).graph).code
    return code.split(separator: "\n").compactMap { line in
      guard line.contains("asrc_alloc("), let note = line.range(of: "); // ") else { return nil }
      return String(line[note.upperBound...])
    }
  }

  /// Random values for `values` of `graph` (static shapes), by name.
  private static func values(_ values: [ValueID], of graph: Graph) -> [String: Tensor] {
    var random = TestValues(seed: 7)
    return Dictionary(uniqueKeysWithValues: values.map { (graph.name(of: $0), random.floats(graph.type(of: $0).shape.map { $0.constantValue ?? 1 })) })
  }

  /// The scratch values of `shape` (the full size of a region's work) in the C code of `graph`
  /// after fusion.
  private static func fullSizeScratch(_ graph: Graph, shape: [DimExpr]) throws -> [String] {
    let fused = try PassManager(passes: Parity.fusion).run(graph).graph
    let full = Set(fused.values.filter { $0.type.shape == shape }.map { "%" + $0.name })
    return try scratch(graph).filter(full.contains)
  }

  /// Group norm's backward (groups = channels) over a [2, 4, 6] input, as autodiff writes it.
  private static let groupNormBackward = """
    graph @g {
      input %x: f32[2, 4, 6]
      input %n: f32[2, 4, 6]
      input %d: f32[2, 4, 6]
      param %w: f32[4]
      %dy = gelu_grad(%n, %d) : f32[2, 4, 6]
      %x4 = reshape(%x) {shape = [2, 4, 1, 6]} : f32[2, 4, 1, 6]
      %mean = reduce_mean(%x4) {axes = [2, 3], keepdims = true} : f32[2, 4, 1, 1]
      %c = sub(%x4, %mean) : f32[2, 4, 1, 6]
      %sq = mul(%c, %c) : f32[2, 4, 1, 6]
      %var = reduce_mean(%sq) {axes = [2, 3], keepdims = true} : f32[2, 4, 1, 1]
      %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
      %ve = add(%var, %eps) : f32[2, 4, 1, 1]
      %inv = rsqrt(%ve) : f32[2, 4, 1, 1]
      %xhat = mul(%c, %inv) : f32[2, 4, 1, 6]
      %wc = reshape(%w) {shape = [1, 4, 1]} : f32[1, 4, 1]
      %dyw = mul(%dy, %wc) : f32[2, 4, 6]
      %dyw4 = reshape(%dyw) {shape = [2, 4, 1, 6]} : f32[2, 4, 1, 6]
      %m1 = reduce_mean(%dyw4) {axes = [2, 3], keepdims = true} : f32[2, 4, 1, 1]
      %p = mul(%dyw4, %xhat) : f32[2, 4, 1, 6]
      %m2 = reduce_mean(%p) {axes = [2, 3], keepdims = true} : f32[2, 4, 1, 1]
      %t1 = sub(%dyw4, %m1) : f32[2, 4, 1, 6]
      %t2 = mul(%xhat, %m2) : f32[2, 4, 1, 6]
      %t3 = sub(%t1, %t2) : f32[2, 4, 1, 6]
      %dx4 = mul(%t3, %inv) : f32[2, 4, 1, 6]
      %dx = reshape(%dx4) {shape = [2, 4, 6]} : f32[2, 4, 6]
      %xhat3 = reshape(%xhat) {shape = [2, 4, 6]} : f32[2, 4, 6]
      %gx = mul(%dy, %xhat3) : f32[2, 4, 6]
      %dw = reduce_sum(%gx) {axes = [0, 2], keepdims = false} : f32[4]
      %db = reduce_sum(%dy) {axes = [0, 2], keepdims = false} : f32[4]
      output dx = %dx
      output dw = %dw
      output db = %db
    }
    """

  /// Layer norm's backward over a [2, 70, 8] input, as autodiff writes it.
  private static let layerNormBackward = """
    graph @g {
      input %x: f32[2, 70, 8]
      input %dy: f32[2, 70, 8]
      param %w: f32[8]
      %mean = reduce_mean(%x) {axes = [2], keepdims = true} : f32[2, 70, 1]
      %c = sub(%x, %mean) : f32[2, 70, 8]
      %sq = mul(%c, %c) : f32[2, 70, 8]
      %var = reduce_mean(%sq) {axes = [2], keepdims = true} : f32[2, 70, 1]
      %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
      %ve = add(%var, %eps) : f32[2, 70, 1]
      %inv = rsqrt(%ve) : f32[2, 70, 1]
      %xhat = mul(%c, %inv) : f32[2, 70, 8]
      %dyhat = mul(%dy, %w) : f32[2, 70, 8]
      %m1 = reduce_mean(%dyhat) {axes = [2], keepdims = true} : f32[2, 70, 1]
      %p = mul(%dyhat, %xhat) : f32[2, 70, 8]
      %m2 = reduce_mean(%p) {axes = [2], keepdims = true} : f32[2, 70, 1]
      %t1 = sub(%dyhat, %m1) : f32[2, 70, 8]
      %t2 = mul(%xhat, %m2) : f32[2, 70, 8]
      %t3 = sub(%t1, %t2) : f32[2, 70, 8]
      %dx = mul(%t3, %inv) : f32[2, 70, 8]
      %gx = mul(%dy, %xhat) : f32[2, 70, 8]
      %dw = reduce_sum(%gx) {axes = [0, 1], keepdims = false} : f32[8]
      %db = reduce_sum(%dy) {axes = [0, 1], keepdims = false} : f32[8]
      output dx = %dx
      output dw = %dw
      output db = %db
    }
    """
}
