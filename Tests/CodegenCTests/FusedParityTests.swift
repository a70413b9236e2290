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
}
