import Formats
import Foundation
import IR
import Runtime
import Testing

/// The interpreter's f16 and bf16 kernels against PyTorch CPU on the same inputs
/// (tools/make_half_reference.py). Results are compared bit for bit as half-precision numbers:
/// `ulps` is the distance in units in the last place of the half type (NaN only matches NaN:
/// PyTorch writes every bf16 NaN as 0xFFFF, asrc keeps the sign and payload; both are NaN).
///
/// Tolerances, from what was measured:
/// - arithmetic, comparisons, min/max, neg/abs/relu and every cast: exact (0 ulps). PyTorch
///   computes these in float32 and rounds once to nearest even, as asrc does; the cast cases
///   hold exact ties, neighbours of ties, overflow to inf, subnormals and float64 values that
///   double rounding through float32 would get wrong.
/// - transcendental functions: at most 1 ulp (asrc's and PyTorch's float32 exp/tanh/erf differ
///   in the last float32 bit, which moves the half result when it lands next to a tie).
/// - matmul, linear, conv1d, norms, softmax and reductions: at most 1 ulp (float32
///   accumulation in a different order before the one rounding).
/// The number of elements that are not bit-identical is printed per case.
@Suite struct HalfPrecisionKernelTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/half")
  static let tensors = try! Safetensors.read(root.appendingPathComponent("cases.safetensors").path)

  static let exact: Set<String> = [
    "add", "sub", "mul", "div", "maximum", "minimum", "lt", "eq", "neg", "abs", "relu", "cast_to_f32", "cast_from_f32", "cast_from_f64",
    "cast_to_other_half",
  ]
  static let cases = [
    "add", "sub", "mul", "div", "maximum", "minimum", "lt", "eq", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "tanh", "erf", "sigmoid", "relu",
    "gelu", "reciprocal", "cast_to_f32", "cast_from_f32", "cast_from_f64", "cast_to_other_half", "matmul", "linear", "conv1d", "layer_norm",
    "group_norm", "softmax", "log_softmax", "reduce_sum", "reduce_mean",
  ]

  static func type(_ tensor: Tensor) -> String { "\(tensor.dtype)[\(tensor.shape.map(String.init).joined(separator: ", "))]" }

  /// The one-op graph for a case, with the result type PyTorch's output has.
  static func graph(_ name: String, inputs: [Tensor], output: Tensor) throws -> Graph {
    let operands = inputs.indices.map { "%in\($0)" }.joined(separator: ", ")
    let (op, attributes): (String, String) = switch name {
    case "cast_to_f32", "cast_from_f32", "cast_from_f64", "cast_to_other_half": ("cast", "{to = \(output.dtype)}")
    case "conv1d": ("conv1d", "{stride = 2, padding = 1, dilation = 1, groups = 2}")
    case "layer_norm": ("layer_norm", "{eps = 1e-05}")
    case "group_norm": ("group_norm", "{groups = 3, eps = 1e-05}")
    case "softmax", "log_softmax": (name, "{axis = 1}")
    case "reduce_sum", "reduce_mean": (name, "{axes = [1]}")
    default: (name, "")
    }
    let declarations = inputs.enumerated().map { "  input %in\($0.offset): \(type($0.element))" }.joined(separator: "\n")
    return try Parser.parseAndVerify("""
      graph @\(name) {
      \(declarations)
        %out = \(op)(\(operands)) \(attributes) : \(type(output))
        output out = %out
      }
      """)
  }

  /// Half bits to a monotonic integer line, so that adjacent representable values differ by 1.
  static func ordered(_ bits: UInt16) -> Int { bits & 0x8000 != 0 ? -Int(bits & 0x7FFF) : Int(bits) }

  static func isNaN(_ bits: UInt16, _ dtype: DType) -> Bool {
    dtype == .f16 ? (bits & 0x7C00 == 0x7C00 && bits & 0x03FF != 0) : (bits & 0x7F80 == 0x7F80 && bits & 0x007F != 0)
  }

  @Test(arguments: cases, ["f16", "bf16"])
  func kernelMatchesPyTorch(_ name: String, _ dtype: String) throws {
    var inputs: [Tensor] = []
    while let input = Self.tensors["\(name).\(dtype).in\(inputs.count)"] { inputs.append(input) }
    let expected = try #require(Self.tensors["\(name).\(dtype).out"])
    let graph = try Self.graph(name, inputs: inputs, output: expected)
    let actual = try #require(try Interpreter().run(
      graph, inputs: Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ("in\($0.offset)", $0.element) }), parameters: [:])["out"])
    #expect(actual.dtype == expected.dtype && actual.shape == expected.shape)
    var different = 0
    var worst = 0
    var example = ""
    switch expected.dtype {
    case .f16, .bf16:
      let (ours, theirs) = (actual.pointer(UInt16.self), expected.pointer(UInt16.self))
      for index in 0..<expected.count {
        let (a, b) = (ours[index], theirs[index])
        if a == b { continue }
        different += 1
        let ulps = Self.isNaN(a, expected.dtype) || Self.isNaN(b, expected.dtype)
          ? (Self.isNaN(a, expected.dtype) && Self.isNaN(b, expected.dtype) ? 0 : Int.max) : abs(Self.ordered(a) - Self.ordered(b))
        if ulps > worst {
          worst = ulps
          let operands = inputs.map { String(describing: $0.doubles[$0.count == expected.count ? index : 0]) }.joined(separator: ", ")
          example = "element \(index) (inputs \(operands)): asrc 0x\(String(a, radix: 16)) \(actual.doubles[index]), PyTorch 0x\(String(b, radix: 16)) \(expected.doubles[index])"
        }
      }
    default:
      let (ours, theirs) = (actual.doubles, expected.doubles)
      for index in 0..<expected.count where !(ours[index] == theirs[index] || (ours[index].isNaN && theirs[index].isNaN)) {
        different += 1
        worst = Int.max
        example = "element \(index): asrc \(ours[index]), PyTorch \(theirs[index])"
      }
    }
    let allowed = Self.exact.contains(name) ? 0 : 1
    #expect(worst <= allowed, "\(name) \(dtype): \(different) of \(expected.count) elements differ, worst \(worst == Int.max ? "NaN/non-NaN" : "\(worst) ulps") (allowed \(allowed)); \(example)")
    print("half kernels \(name) \(dtype): \(different) of \(expected.count) elements not bit-identical to PyTorch, worst \(worst) ulps")
  }
}
