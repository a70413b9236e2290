import Foundation
import IR
import Passes
import Runtime
import Testing

/// The precision report finds the node that loses precision, and only that one.
@Suite struct PrecisionReportTests {
  @Test func cancellationStandsOutAndRoundingDoesNot() throws {
    // a - b with a ≈ b loses most of float32's digits; exp adds about one rounding.
    let graph = try Parser.parseAndVerify(
      """
      graph @g {
        input %a: f32[3]
        input %b: f32[3]
        %e = exp(%a) : f32[3]
        %d = sub(%e, %b) : f32[3]
        %z = sub(%b, %b) : f32[3]
        output d = %d
        output z = %z
      }
      """)
    let a: [Float] = [0.1, 0.2, 0.3]
    // b is exp(a) rounded to f32 and nudged by one ulp, so exp(a) - b is a few ulps in f32 and
    // something else in f64.
    let b = a.map { Float(Double($0).exp()).nextUp }
    let reference = try PassManager(passes: [widenToF64]).run(graph).graph
    let report = try PrecisionReport.measure(
      graph, reference: reference, inputs: ["a": Tensor(a, shape: [3]), "b": Tensor(b, shape: [3])], parameters: [:])
    let byName = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.value, $0) })
    let exp = try #require(byName["e"])
    let difference = try #require(byName["d"])
    #expect(try #require(exp.error) < 1e-7, "exp: \(exp.error ?? .nan)")
    #expect(try #require(difference.error) > 1e-2, "the cancellation lost little: \(difference.error ?? .nan)")
    #expect(difference.gain > 1e4 && exp.gain < 4, "gains: sub \(difference.gain), exp \(exp.gain)")
    // b - b is exactly zero in both: nothing to rank.
    #expect(byName["z"]?.error == 0)
    let table = report.table(worst: 1, outputs: graph.outputs)
    #expect(table.contains("%d [3] output d"), "\(table)")
  }
}

extension Double {
  fileprivate func exp() -> Double { Foundation.exp(self) }
}
