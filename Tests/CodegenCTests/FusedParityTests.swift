import IR
import Passes
import Runtime
import Testing

/// Small graphs of the shapes the fusion passes make regions of, run after the passes: one
/// C function per region (loop nests for elementwise runs, kernels inside for the rest, extra
/// results for values read outside).
enum SmallFused {
  /// Residual add + layer norm, the sum read again outside (a two-result region).
  static func layerNormGraph() throws -> Graph {
    var graph = ParityGraph("residual_norm")
    let x = graph.input("x", [2, 8])
    let r = graph.input("r", [2, 8])
    let s = try graph.builder.add(x, r)
    let n = try graph.builder.layerNorm(s, graph.parameter("w", [8]), graph.parameter("b", [8]), eps: 1e-5)
    let u = try graph.builder.add(try graph.builder.transpose(n, [1, 0]), try graph.builder.transpose(s, [1, 0]))
    graph.output("y", u)
    return try graph.graph()
  }
}

@Suite struct FusedParityTests {
  static let values = TestValues(seed: 3)

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
}
