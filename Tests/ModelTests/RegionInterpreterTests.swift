import IR
import Passes
import Runtime
import Testing

/// The interpreter runs `fused` regions, binding every result of a multi-result region.
@Suite struct RegionInterpreterTests {
  static let residualNorm = """
    graph @residual_norm {
      input %x: f32[B, 4]
      input %r: f32[B, 4]
      param %w: f32[4]
      param %b: f32[4]
      %normed, %sum, %unused = fused(%x, %r, %w, %b) {kind = "reduction"} : (f32[B, 4], f32[B, 4], f32[B, 4]) {
        ^(%a: f32[B, 4], %c: f32[B, 4], %d: f32[4], %e: f32[4]):
          %s = add(%a, %c) : f32[B, 4]
          %n = layer_norm(%s, %d, %e) {eps = 1e-05} : f32[B, 4]
          %u = neg(%s) : f32[B, 4]
          yield %n, %s, %u
      }
      %next = mul(%sum, %normed) : f32[B, 4]
      output next = %next
      output sum = %sum
    }
    """

  /// The same computation without the region.
  static let unfused = """
    graph @residual_norm {
      input %x: f32[B, 4]
      input %r: f32[B, 4]
      param %w: f32[4]
      param %b: f32[4]
      %s = add(%x, %r) : f32[B, 4]
      %n = layer_norm(%s, %w, %b) {eps = 1e-05} : f32[B, 4]
      %next = mul(%s, %n) : f32[B, 4]
      output next = %next
      output sum = %s
    }
    """

  let inputs: [String: Tensor] = [
    "x": Tensor((0..<8).map { Float($0) * 0.37 - 1 }, shape: [2, 4]),
    "r": Tensor((0..<8).map { Float(($0 * 5) % 8) * 0.21 }, shape: [2, 4]),
  ]
  let parameters: [String: Tensor] = ["w": Tensor([0.5, 1, 1.5, 2] as [Float], shape: [4]), "b": Tensor([0.1, -0.2, 0.3, 0] as [Float], shape: [4])]

  @Test func everyResultOfARegionIsBound() throws {
    let fused = try Interpreter().run(try Parser.parseAndVerify(Self.residualNorm), inputs: inputs, parameters: parameters)
    let reference = try Interpreter().run(try Parser.parseAndVerify(Self.unfused), inputs: inputs, parameters: parameters)
    #expect(fused["sum"]?.floats == reference["sum"]?.floats)
    #expect(fused["next"]?.floats == reference["next"]?.floats)
    #expect(fused["sum"]?.floats == zip(inputs["x"]!.floats, inputs["r"]!.floats).map { $0 + $1 })
  }

  /// The observer sees each top-level node once, with its primary result.
  @Test func observerSeesThePrimaryResult() throws {
    let graph = try Parser.parseAndVerify(Self.residualNorm)
    let seen = SeenShapes()
    _ = try Interpreter(observer: { node, tensor in seen.add(node.op, tensor.shape) }).run(graph, inputs: inputs, parameters: parameters)
    #expect(seen.entries.map(\.0) == [.fused, .mul])
  }

  /// Fusing a graph and running it gives the unfused graph's values, multi-result regions included.
  @Test func fusedPipelineMatchesTheUnfusedGraph() throws {
    let graph = try Parser.parseAndVerify(Self.unfused)
    let fused = try PassManager(passes: try PassRegistry.pipeline("fuse-reductions,fuse-epilogues,fuse-elementwise,dce")).run(graph).graph
    // add, layer_norm and the mul reading both become one region; the sum is also an output.
    #expect(fused.nodes.count == 1 && fused.nodes[0].results.count == 2)
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: parameters)
    let actual = try Interpreter().run(fused, inputs: inputs, parameters: parameters)
    #expect(actual["next"]?.floats == expected["next"]?.floats)
    #expect(actual["sum"]?.floats == expected["sum"]?.floats)
  }
}

private final class SeenShapes: @unchecked Sendable {
  var entries: [(Op, [Int])] = []
  func add(_ op: Op, _ shape: [Int]) { entries.append((op, shape)) }
}
