import Compiler
import IR
import Models
import Passes
import Runtime
import Testing

@Suite struct PassCheckTests {
  /// A deliberately wrong pass, registered nowhere but here: it scales the first `mul`'s
  /// result by 1.01 (the attention scale, in the model), which still verifies.
  static let skewing = Pass(name: "skew-first-mul", summary: "a broken rewrite for the test") { graph in
    var result = graph
    guard let index = result.nodes.firstIndex(where: { $0.op == .mul }) else { return result }
    let original = result.nodes[index].result
    let type = result.type(of: original)
    let factor = result.addValue(name: "skew_factor", type: TensorType(type.dtype, []), role: .result)
    let skewed = result.addValue(name: "skewed", type: type, role: .result)
    result.nodes.insert(Node(op: .constant, operands: [], attributes: ["dtype": .dtype(type.dtype), "shape": .dims([]), "value": .float(1.01)], result: factor), at: index + 1)
    result.nodes.insert(Node(op: .mul, operands: [original, factor], attributes: [:], result: skewed), at: index + 2)
    for position in (index + 3)..<result.nodes.count {
      result.nodes[position].operands = result.nodes[position].operands.map { $0 == original ? skewed : $0 }
    }
    result.outputs = result.outputs.map { output in output.value == original ? GraphOutput(name: output.name, value: skewed) : output }
    return result
  }

  static func check(_ graph: Graph, _ passes: [Pass]) throws -> PassCheck.Report {
    let stages = try Compilation(graph, manager: PassManager(passes: passes)).stages
    let sizes = ShapeBindings(batch: 2, seconds: 0.1)
    let inputs = try CheckInputs.inputs(for: graph, symbols: sizes.symbols, seed: 1)
    let parameters = try CheckInputs.randomParameters(for: graph, seed: 2)
    return try PassCheck.run(stages, inputs: inputs, parameters: parameters, tolerance: 1e-5)
  }

  @Test func correctPassesStayWithinTheToleranceOnLossAndEveryGradient() throws {
    let forward = try TinyModel.forward()
    let report = try Self.check(forward, try Pipelines.passes(Pipelines.training))
    #expect(report.firstFailure == nil, "\(report.table)")
    // The reference is the graph after autodiff: every gradient is compared at later stages.
    #expect(report.referencePosition == 1)
    let gradients = try TinyModel.training().outputs.count
    #expect(report.rows.map(\.outputsCompared) == [2] + Array(repeating: gradients, count: Pipelines.training.count))
  }

  @Test func theFirstPassOverTheToleranceIsNamed() throws {
    let forward = try TinyModel.forward()
    let passes = [try #require(PassRegistry.pass(named: "cse")), Self.skewing, deadCodeElimination]
    let report = try Self.check(forward, passes)
    let failure = try #require(report.firstFailure, "\(report.table)")
    #expect(failure.stage == "skew-first-mul" && failure.position == 2)
    #expect((failure.worst ?? 0) > report.tolerance)
    #expect(report.table.contains("over 1e-05"))
    // Training: the skew reaches the loss and the gradients.
    let training = try Self.check(forward, [autodiff(), Self.skewing])
    #expect(training.firstFailure?.stage == "skew-first-mul", "\(training.table)")
  }

  @Test func relativeDifferenceIsTheL2NormRatio() {
    let expected = Tensor([3, 4] as [Float], shape: [2])
    let actual = Tensor([3, 4.5] as [Float], shape: [2])
    #expect(abs(PassCheck.relativeDifference(actual, expected) - 0.5 / 5) < 1e-12)
    #expect(PassCheck.relativeDifference(expected, expected) == 0)
    #expect(PassCheck.relativeDifference(Tensor([1] as [Float], shape: [1]), expected) == .infinity)
    #expect(PassCheck.relativeDifference(Tensor([Float.nan, 4], shape: [2]), expected) == .infinity)
  }
}
