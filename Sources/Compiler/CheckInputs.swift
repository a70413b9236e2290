import IR
import Models
import Runtime

/// Seeded inputs and weights for `--check`, at small sizes.
///
/// Inputs by name where the model gives them a meaning: `attention_mask` all ones, `labels`
/// label ids from 1 up to the vocabulary (the last dimension of the `logits` output),
/// `dropout_seed` the seed, `layer_keep` all kept, `mask_time_indices` about one frame in ten
/// masked. Any other input by dtype: normal floats, small non-negative integers, random booleans.
public enum CheckInputs {
  public static func inputs(for graph: Graph, symbols: [String: Int], seed: UInt64) throws(CompileError) -> [String: Tensor] {
    var random = SeededRandom(seed: seed)
    let vocabulary = graph.output(named: "logits").flatMap { graph.type(of: $0).shape.last?.constantValue } ?? 4
    var inputs: [String: Tensor] = [:]
    for input in graph.inputs {
      let name = graph.name(of: input)
      let type = graph.type(of: input)
      var shape: [Int] = []
      for dim in type.shape {
        guard let size = dim.evaluate(symbols) else {
          throw CompileError("--check: input %\(name): \(type) has a symbol without a size; give it with --check-size NAME=N")
        }
        shape.append(size)
      }
      let count = shape.reduce(1, *)
      switch (name, type.dtype) {
      case ("attention_mask", _): inputs[name] = filled(type.dtype, shape, Array(repeating: 1, count: count))
      case ("labels", _): inputs[name] = filled(type.dtype, shape, (0..<count).map { _ in Double(1 + Int(random.next() % UInt64(max(1, vocabulary - 1)))) })
      case ("dropout_seed", _): inputs[name] = filled(type.dtype, shape, Array(repeating: Double(seed), count: count))
      case ("layer_keep", _): inputs[name] = filled(type.dtype, shape, Array(repeating: 1, count: count))
      case ("mask_time_indices", _): inputs[name] = filled(type.dtype, shape, (0..<count).map { _ in random.uniform() < 0.1 ? 1 : 0 })
      case (_, .bool): inputs[name] = filled(type.dtype, shape, (0..<count).map { _ in Double(random.next() & 1) })
      case (_, .i64), (_, .i32): inputs[name] = filled(type.dtype, shape, (0..<count).map { _ in Double(random.next() % 4) })
      default: inputs[name] = filled(type.dtype, shape, (0..<count).map { _ in random.normal() })
      }
    }
    return inputs
  }

  /// Weights for a graph without a model folder: every parameter seeded at random, matrices
  /// scaled by 1/√fan-in so that activations stay of order one, vectors named `…weight` (norm
  /// scales) near one and other vectors (biases) near zero.
  public static func randomParameters(for graph: Graph, seed: UInt64) throws(CompileError) -> [String: Tensor] {
    var random = SeededRandom(seed: seed)
    var parameters: [String: Tensor] = [:]
    for parameter in graph.parameters {
      let name = graph.name(of: parameter)
      let type = graph.type(of: parameter)
      let shape = type.shape.compactMap(\.constantValue)
      guard shape.count == type.rank else {
        throw CompileError("--check: parameter %\(name): \(type) has a symbolic size")
      }
      let count = shape.reduce(1, *)
      let values: [Double]
      if shape.count >= 2 {
        let scale = 1 / Double(max(1, count / shape[0])).squareRoot()
        values = (0..<count).map { _ in random.normal() * scale }
      } else if name.hasSuffix("weight") {
        values = (0..<count).map { _ in 1 + 0.1 * random.normal() }
      } else {
        values = (0..<count).map { _ in 0.1 * random.normal() }
      }
      parameters[name] = filled(type.dtype, shape, values)
    }
    return parameters
  }

  static func filled(_ dtype: DType, _ shape: [Int], _ values: [Double]) -> Tensor {
    switch dtype {
    case .f32: return Tensor(values.map { Float($0) }, shape: shape)
    case .f64: return Tensor(values, shape: shape)
    case .i64: return Tensor(values.map { Int64($0) }, shape: shape)
    case .bool: return Tensor(values.map { $0 != 0 }, shape: shape)
    case .i32:
      let tensor = Tensor(uninitialized: .i32, shape)
      for (index, value) in values.enumerated() { tensor.pointer(Int32.self)[index] = Int32(value) }
      return tensor
    case .f16, .bf16:
      let tensor = Tensor(uninitialized: dtype, shape)
      for (index, value) in values.enumerated() {
        tensor.pointer(UInt16.self)[index] = dtype == .f16 ? HalfPrecision.floatToF16(Float(value)) : HalfPrecision.floatToBF16(Float(value))
      }
      return tensor
    }
  }
}
