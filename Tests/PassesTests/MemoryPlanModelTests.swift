import IR
import Models
import Passes
import Testing

/// Memory plans of the base model, inference and training (autodiff) after cleanup, checked
/// by the brute-force verifier, and the symbolic plan against planning the same graph with
/// every shape made concrete.
@Suite struct MemoryPlanModelTests {
  static let graphs: [String: Graph] = {
    let cleanup = try! PassRegistry.pipeline(PassRegistry.cleanupPipeline)
    let inference = try! Wav2Vec2Graph.build(.base, options: .init(usesAttentionMask: false))
    let training = try! Wav2Vec2Graph.build(.base, options: .init(usesAttentionMask: false, training: true))
    return [
      "inference": try! PassManager(passes: cleanup).run(inference).graph,
      "training": try! PassManager(passes: [autodiff()] + cleanup).run(training).graph,
    ]
  }()

  /// The graph with every symbolic dimension replaced by its value (types only: the plan reads
  /// nothing else).
  func concrete(_ graph: Graph, _ bindings: [String: Int]) throws -> Graph {
    var copy = graph
    for index in copy.values.indices {
      copy.values[index].type.shape = try copy.values[index].type.shape.map { DimExpr(try #require($0.evaluate(bindings))) }
    }
    return copy
  }

  @Test(arguments: ["inference", "training"])
  func basePlansAreValidAndMatchConcretePlanning(_ name: String) throws {
    let graph = try #require(Self.graphs[name])
    let plan = try MemoryPlan(graph: graph)
    for bindings in [["B": 1, "S": 16_000, "L": 20], ["B": 3, "S": 48_123, "L": 37]] {
      let resolved = try plan.resolve(bindings: bindings)
      verifyPlan(resolved)
      #expect(resolved.peakBytes < resolved.unplannedBytes / 2, "\(name): planning should at least halve memory")
      #expect(resolved.buffers.contains { $0.reuse == .inPlace })
      var direct = try MemoryPlan(graph: concrete(graph, bindings)).resolve(bindings: [:])
      #expect(direct.bindings.isEmpty)
      direct.bindings = resolved.bindings
      #expect(direct == resolved, "\(name) \(bindings): the symbolic plan differs from planning concrete shapes")
    }
  }
}
