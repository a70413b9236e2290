import CRuntime
import IR
import Passes
import Runtime
import Testing

/// Runs a graph with f16 or bf16 values through the interpreter and the C backend and measures
/// how far apart their outputs are: half outputs in ulps, element by element or at the scale
/// of the output's largest magnitude (for sums, where an element near zero after cancellation
/// has large ulps for a tiny difference); other float outputs as relative error; integers and
/// bools exactly.
enum HalfParity {
  enum Measure {
    /// The largest ulp distance between corresponding elements.
    case elementUlps
    /// max |difference| in ulps of the half dtype at the output's largest magnitude.
    case scaleUlps
  }

  /// The worst distance over the half outputs (0 when every one is bit for bit equal).
  @discardableResult
  static func check(
    _ graph: Graph, inputs: [String: Tensor] = [:], parameters: [String: Tensor] = [:], measure: Measure = .elementUlps, allowedUlps: Double,
    fused: Bool = false, backend: CBackend = Parity.backend, _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) throws -> Double {
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: parameters)
    let program = fused ? try PassManager(passes: Parity.fusion).run(graph).graph : graph
    let actual = try backend.run(program, inputs: inputs, parameters: parameters)
    var worst = 0.0
    for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
      guard let tensor = actual[name], tensor.dtype == reference.dtype, tensor.shape == reference.shape else {
        Issue.record("\(label): output \(name) missing or of another type", sourceLocation: sourceLocation)
        continue
      }
      switch reference.dtype {
      case .f16, .bf16:
        let distance = ulps(tensor, reference, measure)
        worst = Swift.max(worst, distance)
        #expect(
          distance <= allowedUlps, "\(label) \(name): \(distance) ulps apart (\(measure))\nC      \(tensor.floats.prefix(8))\ninterp \(reference.floats.prefix(8))",
          sourceLocation: sourceLocation)
      case .f32, .f64:
        let error = Parity.relativeError(tensor.doubles, reference.doubles)
        #expect(error <= 1e-5, "\(label) \(name): relative error \(error)", sourceLocation: sourceLocation)
      default:
        #expect(tensor.int64s == reference.int64s, "\(label) \(name): \(tensor.int64s.prefix(12)) vs \(reference.int64s.prefix(12))", sourceLocation: sourceLocation)
      }
    }
    return worst
  }

  static func ulps(_ actual: Tensor, _ expected: Tensor, _ measure: Measure) -> Double {
    let (a, b) = (HalfBits.bits(actual), HalfBits.bits(expected))
    switch measure {
    case .elementUlps:
      return Double(zip(a, b).map { HalfBits.ulps($0, $1, expected.dtype) }.max() ?? 0)
    case .scaleUlps:
      let (x, y) = (actual.floats, expected.floats)
      var difference: Float = 0
      var largest: Float = 0
      for (p, q) in zip(x, y) {
        if p.isNaN || q.isNaN || p.isInfinite || q.isInfinite {
          if !(p.isNaN && q.isNaN) && p != q { return .infinity }
          continue
        }
        difference = Swift.max(difference, Swift.abs(p - q))
        largest = Swift.max(largest, Swift.abs(q))
      }
      guard largest > 0 else { return difference == 0 ? 0 : .infinity }
      let significandBits = expected.dtype == .f16 ? 10 : 7
      let ulp = Float(sign: .plus, exponent: largest.exponent - significandBits, significand: 1)
      return Double(difference / ulp)
    }
  }
}
