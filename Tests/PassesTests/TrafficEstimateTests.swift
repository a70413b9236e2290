import IR
import Passes
import Testing

@Suite struct TrafficEstimateTests {
  static let chain = """
    graph @g {
      input %x: f32[B, 4]
      %e = exp(%x) : f32[B, 4]
      %r = reshape(%e) {shape = [B, 2, 2]} : f32[B, 2, 2]
      %n = neg(%r) : f32[B, 2, 2]
      %t = tanh(%n) : f32[B, 2, 2]
      output y = %t
    }
    """

  /// Each node reads its operands and writes its results once; a reshape is a view; a region
  /// counts only what crosses its boundary.
  @Test func bytesFollowNodeBoundaries() throws {
    let graph = try Parser.parseAndVerify(Self.chain)
    // B = 3: every value holds 12 floats (48 bytes); exp, neg and tanh each read one and write one.
    #expect(try TrafficEstimate.bytesMoved(graph, bindings: ["B": 3]) == 3 * 2 * 48)
    let fused = try PassManager(passes: [fuseElementwise]).run(graph).graph
    // exp stays alone (the reshape sits between it and the rest); neg and tanh become one region.
    #expect(fused.nodes.filter { $0.op == .fused }.count == 1)
    #expect(try TrafficEstimate.bytesMoved(fused, bindings: ["B": 3]) == 2 * 2 * 48)
    let figures = try TrafficEstimate.figures(fused, bindings: ["B": 3])
    #expect(figures.topLevelNodes == 3 && figures.allNodes == 5 && figures.regions == 1)
    let summary = try TrafficEstimate.summary(before: graph, after: fused, bindings: ["B": 3])
    #expect(summary.contains("4 → 3 top-level nodes (1 region, 5 nodes in all)"), "\(summary)")
    #expect(summary.contains("(67 %) for B=3"), "\(summary)")
  }

  @Test func unboundSymbolsAreNamed() throws {
    let graph = try Parser.parseAndVerify(Self.chain)
    #expect(throws: TrafficEstimate.UnboundSymbol.self) { try TrafficEstimate.bytesMoved(graph, bindings: [:]) }
    do {
      _ = try TrafficEstimate.bytesMoved(graph, bindings: ["S": 1])
    } catch {
      #expect(error.description.contains("%x: f32[B, 4]"))
    }
  }
}
