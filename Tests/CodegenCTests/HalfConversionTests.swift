import IR
import Runtime
import Testing

/// Casts to and from f16 and bf16 through the C backend, bit for bit against the interpreter:
/// every half bit pattern widened to each dtype, and f32 patterns around every rounding tie,
/// subnormals, overflow, infinities and NaN payloads narrowed.
@Suite struct HalfConversionTests {
  static let targets: [DType] = [.f32, .f64, .f16, .bf16, .i64, .i32, .bool]

  /// The interpreter's and the C backend's outputs have the same bytes (with IEEE subnormals,
  /// which these tests of the formats' edges are about).
  static func checkBits(_ graph: ParityGraph, _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let built = try graph.graph()
    let expected = try Interpreter().run(built, inputs: graph.inputs, parameters: graph.parameters)
    let actual = try Parity.subnormalBackend.run(built, inputs: graph.inputs, parameters: graph.parameters)
    for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
      guard let tensor = actual[name] else {
        Issue.record("\(label): no output \(name)", sourceLocation: sourceLocation)
        continue
      }
      let (a, b) = (HalfBits.bytes(tensor), HalfBits.bytes(reference))
      let differing = zip(a, b).filter { $0 != $1 }.count
      #expect(tensor.dtype == reference.dtype && a == b, "\(label) \(name): \(differing) bytes differ", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [DType.f16, .bf16])
  func everyHalfPatternWidens(_ dtype: DType) throws {
    var graph = ParityGraph("widen_\(dtype)")
    let x = graph.input("x", HalfBits.tensor(bits: (0...UInt16.max).map { $0 }, shape: [65536], dtype: dtype))
    for target in Self.targets where target != dtype { graph.output("to_\(target)", try graph.builder.cast(x, to: target)) }
    try Self.checkBits(graph, "every \(dtype) pattern")
  }

  /// f32 patterns: every top half with low halves at and beside both formats' ties (bit 12
  /// for f16 with an even and an odd last kept bit, bit 15 for bf16), so subnormals, the
  /// overflow boundary, infinities and NaN payloads are all covered.
  @Test func f32PatternsNarrow() throws {
    let lows: [UInt32] = [0, 0x0FFF, 0x1000, 0x1001, 0x3000, 0x7FFF, 0x8000, 0x8001, 0xFFFF]
    var values: [Float] = []
    for high in 0...UInt32(UInt16.max) { for low in lows { values.append(Float(bitPattern: high << 16 | low)) } }
    var graph = ParityGraph("narrow_f32")
    let x = graph.input("x", Tensor(values, shape: [values.count]))
    graph.output("to_f16", try graph.builder.cast(x, to: .f16))
    graph.output("to_bf16", try graph.builder.cast(x, to: .bf16))
    try Self.checkBits(graph, "f32 patterns")
  }

  /// f64 and integers reach the half formats through f32, as the interpreter's (and PyTorch's)
  /// conversion: 1 + 2^-11 + 2^-40 rounds to the f16 tie 1 + 2^-11 first, then to even.
  @Test func f64AndIntegersNarrowThroughF32() throws {
    var graph = ParityGraph("narrow_f64")
    var state = TestValues(seed: 3)
    let doubles: [Double] = [1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-8 + 0x1p-40, 65519.99, 65520, 1e300, -1e-300, 0x1p-25, .nan, -.infinity]
      + (0..<200).map { _ in state.uniform(-70000, 70000) }
    let x = graph.input("x", Tensor(doubles, shape: [doubles.count]))
    let integers: [Int64] = [0, 1, -3, 255, 257, 2049, 65505, 16_777_217, 1 << 40 + 1, .max, .min]
    let n = graph.input("n", Tensor(integers, shape: [integers.count]))
    let flags = graph.input("flags", Tensor([true, false, true], shape: [3]))
    for target in [DType.f16, .bf16] {
      graph.output("f64_to_\(target)", try graph.builder.cast(x, to: target))
      graph.output("i64_to_\(target)", try graph.builder.cast(n, to: target))
      graph.output("i32_to_\(target)", try graph.builder.cast(try graph.builder.cast(n, to: .i32), to: target))
      graph.output("bool_to_\(target)", try graph.builder.cast(flags, to: target))
    }
    try Self.checkBits(graph, "f64 and integers")
  }
}
