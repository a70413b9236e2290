import CRuntime
import CodegenC
import IR
import Passes
import Runtime
import Testing

/// Runs a graph through the interpreter and the C backend and compares every output.
enum Parity {
  /// One backend for the whole test run: each graph is compiled once (and cached on disk).
  static let backend = CBackend()
  /// A backend whose steps keep IEEE subnormals (the default flushes them to zero), for the
  /// tests of values at the formats' edges.
  static let subnormalBackend = CBackend(flushesSubnormals: false)

  /// The fusion passes in the order the compile pipeline runs them.
  static let fusion = [fuseReductions, fuseEpilogues, fuseElementwise]

  /// Interpreter and C agree on every output: floats within `tolerance` of the largest
  /// magnitude (NaN where the interpreter has NaN), integers and bools exactly.
  ///
  /// `scaleFrom` names, for an output that is zero in exact arithmetic (both backends return
  /// rounding noise, which differs when their GEMM libraries sum in different orders), the
  /// output whose largest magnitude is the scale instead.
  static func check(
    _ graph: Graph, inputs: [String: Tensor] = [:], parameters: [String: Tensor] = [:], tolerance: Double = 1e-5, fused: Bool = false,
    scaleFrom: (String) -> String? = { _ in nil }, _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) throws {
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: parameters)
    let program = fused ? try PassManager(passes: fusion).run(graph).graph : graph
    if fused {
      #expect(program.nodes.contains { $0.op == .fused }, "\(label): the fusion passes made no region", sourceLocation: sourceLocation)
    }
    let actual = try backend.run(program, inputs: inputs, parameters: parameters)
    for (name, reference) in expected {
      guard let tensor = actual[name] else {
        Issue.record("\(label): no output \(name) from the C backend", sourceLocation: sourceLocation)
        continue
      }
      #expect(tensor.dtype == reference.dtype && tensor.shape == reference.shape, "\(label) \(name): \(tensor.dtype)\(tensor.shape) vs \(reference.dtype)\(reference.shape)", sourceLocation: sourceLocation)
      guard tensor.shape == reference.shape else { continue }
      if reference.dtype.isFloatingPoint {
        let scale = scaleFrom(name).flatMap { expected[$0] }.map { $0.doubles.map(Swift.abs).max() ?? 0 }
        let error = relativeError(tensor.doubles, reference.doubles, scale: scale)
        #expect(error <= tolerance, "\(label) \(name): relative error \(error)\nC     \(tensor.doubles.prefix(8))\ninterp \(reference.doubles.prefix(8))", sourceLocation: sourceLocation)
      } else {
        #expect(tensor.int64s == reference.int64s, "\(label) \(name): \(tensor.int64s.prefix(12)) vs \(reference.int64s.prefix(12))", sourceLocation: sourceLocation)
      }
    }
  }

  /// max |a - b| / max |b| (or / `scale`); infinite when NaNs or infinities disagree.
  static func relativeError(_ actual: [Double], _ expected: [Double], scale given: Double? = nil) -> Double {
    var difference = 0.0
    var scale = 0.0
    for (a, b) in zip(actual, expected) {
      if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite {
        if !(a.isNaN && b.isNaN) && a != b { return .infinity }
        continue
      }
      difference = Swift.max(difference, Swift.abs(a - b))
      scale = Swift.max(scale, Swift.abs(b))
    }
    return difference / Swift.max(given ?? scale, 1e-30)
  }
}

/// Deterministic test values.
struct TestValues {
  var state: UInt64
  init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }

  mutating func uniform(_ low: Double, _ high: Double) -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return low + (high - low) * Double(state >> 11) * 0x1.0p-53
  }

  mutating func floats(_ shape: [Int], in range: ClosedRange<Double> = -2...2) -> Tensor {
    Tensor((0..<shape.reduce(1, *)).map { _ in Float(uniform(range.lowerBound, range.upperBound)) }, shape: shape)
  }

  mutating func doubles(_ shape: [Int], in range: ClosedRange<Double> = -2...2) -> Tensor {
    Tensor((0..<shape.reduce(1, *)).map { _ in uniform(range.lowerBound, range.upperBound) }, shape: shape)
  }

  /// Uniform values in any float dtype (f16 and bf16 rounded from f32).
  mutating func tensor(_ shape: [Int], in range: ClosedRange<Double> = -2...2, dtype: DType) -> Tensor {
    switch dtype {
    case .f64: doubles(shape, in: range)
    case .f16, .bf16: HalfBits.tensor(floats(shape, in: range).floats, shape: shape, dtype: dtype)
    default: floats(shape, in: range)
    }
  }
}

/// A graph under construction with its input values (f32 unless told).
struct ParityGraph {
  var builder: GraphBuilder
  var inputs: [String: Tensor] = [:]
  var parameters: [String: Tensor] = [:]
  var values: TestValues

  init(_ name: String, seed: UInt64 = 1) {
    builder = GraphBuilder(name: name)
    values = TestValues(seed: seed)
  }

  mutating func input(_ name: String, _ shape: [Int], in range: ClosedRange<Double> = -2...2, dtype: DType = .f32) -> ValueID {
    inputs[name] = values.tensor(shape, in: range, dtype: dtype)
    return builder.input(name, TensorType(dtype, shape.map { DimExpr($0) }))
  }

  mutating func input(_ name: String, _ tensor: Tensor, declared: TensorType? = nil) -> ValueID {
    inputs[name] = tensor
    return builder.input(name, declared ?? TensorType(tensor.dtype, tensor.shape.map { DimExpr($0) }))
  }

  mutating func parameter(_ name: String, _ shape: [Int], in range: ClosedRange<Double> = -1...1, dtype: DType = .f32) -> ValueID {
    parameters[name] = values.tensor(shape, in: range, dtype: dtype)
    return builder.parameter(name, TensorType(dtype, shape.map { DimExpr($0) }))
  }

  mutating func output(_ name: String, _ value: ValueID) { builder.output(name, value) }

  func graph() throws -> Graph { try builder.finish() }

  /// Adds loss = Σ y · r (a fixed random r) and differentiates: the graph then also computes
  /// every parameter's gradient, through the gradient ops.
  mutating func withGradients(of y: ValueID) throws -> Graph {
    let type = builder.type(of: y)
    if type.rank == 0 {
      builder.output("loss", y)
    } else {
      let shape = type.shape.map { $0.constantValue ?? 1 }
      let projection = input("projection", shape, dtype: type.dtype)
      builder.output("loss", try builder.reduce(.reduceSum, try builder.mul(y, projection), axes: Array(0..<type.rank)))
    }
    return try PassManager(passes: [autodiff()]).run(try builder.finish()).graph
  }
}
