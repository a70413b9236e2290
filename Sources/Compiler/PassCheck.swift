import Foundation
import IR
import Models
import Runtime

/// `asrc compile --check`: runs the graph after every pass on the interpreter, on the same
/// seeded inputs and weights, and compares its outputs with the unoptimised graph's.
///
/// The reference is the first stage that has every output of the final graph: the input for
/// an inference pipeline, the graph after `autodiff` for a training one (so the loss and every
/// gradient are compared). Stages before it are compared on the outputs they share with it.
/// Inputs and weights are converted to the floating-point dtypes each stage declares. Each
/// stage's figure is the worst relative L2 difference over its outputs,
/// ‖stage − reference‖ / ‖reference‖; an output whose reference is at most 1e-6 of the largest
/// output's norm (a gradient that is zero in exact arithmetic, such as the attention key biases',
/// which softmax's shift invariance cancels, so that both sides hold rounding noise) is
/// measured against that largest norm instead.
/// A backend (`asrc compile`'s C library) adds one more row: the final graph run by it.
public enum PassCheck {
  public struct Row: Sendable {
    public var stage: String
    public var position: Int
    /// Nil for the reference itself.
    public var worst: Double?
    public var worstOutput: String?
    public var outputsCompared: Int
  }

  public struct Report: Sendable {
    public var rows: [Row]
    public var referencePosition: Int
    public var tolerance: Double

    /// The first stage over the tolerance.
    public var firstFailure: Row? { rows.first { ($0.worst ?? 0) > tolerance || $0.worst?.isNaN == true } }

    public var table: String {
      var lines = ["#   pass                    worst relative difference"]
      for row in rows {
        let figure: String
        if let worst = row.worst {
          let worstOutput = worst == 0 ? "identical" : "worst \(row.worstOutput ?? "-")"
          figure = String(format: "%.3g", worst) + " (\(worstOutput), \(row.outputsCompared) outputs)"
            + (worst > tolerance || worst.isNaN ? "  over \(String(format: "%.3g", tolerance))" : "")
        } else {
          figure = "reference (\(row.outputsCompared) outputs)"
        }
        lines.append(String(format: "%02d", row.position) + "  " + row.stage.padding(toLength: 22, withPad: " ", startingAt: 0) + "  " + figure)
      }
      return lines.joined(separator: "\n") + "\n"
    }
  }

  public static func run(
    _ stages: [CompileStage], inputs: [String: Tensor], parameters: [String: Tensor], tolerance: Double,
    interpreter: Interpreter = Interpreter(), backend: (name: String, executor: any GraphExecutor)? = nil
  ) throws(CompileError) -> Report {
    let finalOutputs = Set(stages[stages.count - 1].graph.outputs.map(\.name))
    let referenceIndex = stages.firstIndex { Set($0.graph.outputs.map(\.name)).isSuperset(of: finalOutputs) } ?? 0
    let reference = try outputs(of: stages[referenceIndex], interpreter: interpreter, inputs: inputs, parameters: parameters)
    let largest = reference.values.map { norm($0) }.max() ?? 0
    var rows: [Row] = []
    var runs: [(stage: CompileStage, executor: any GraphExecutor)] = stages.map { ($0, interpreter) }
    if let backend {
      var final = stages[stages.count - 1]
      final.name = backend.name
      final.position += 1
      runs.append((final, backend.executor))
    }
    for (index, (stage, executor)) in runs.enumerated() {
      if index == referenceIndex {
        rows.append(Row(stage: stage.name, position: stage.position, worst: nil, worstOutput: nil, outputsCompared: reference.count))
        continue
      }
      let results = try outputs(of: stage, interpreter: executor, inputs: inputs, parameters: parameters)
      var worst = 0.0
      var worstOutput: String?
      var compared = 0
      for output in stage.graph.outputs {
        guard let expected = reference[output.name], let actual = results[output.name] else { continue }
        compared += 1
        let difference = norm(expected) <= 1e-6 * largest
          ? (actual.shape == expected.shape ? distance(actual, expected) / Swift.max(largest, .leastNormalMagnitude) : .infinity)
          : relativeDifference(actual, expected)
        if !worst.isNaN && (worstOutput == nil || difference.isNaN || difference > worst) { (worst, worstOutput) = (difference, output.name) }
      }
      rows.append(Row(stage: stage.name, position: stage.position, worst: worst, worstOutput: worstOutput, outputsCompared: compared))
    }
    return Report(rows: rows, referencePosition: stages[referenceIndex].position, tolerance: tolerance)
  }

  private static func outputs(
    of stage: CompileStage, interpreter: any GraphExecutor, inputs: [String: Tensor], parameters: [String: Tensor]
  ) throws(CompileError) -> [String: Tensor] {
    do {
      let graph = stage.graph
      return try interpreter.run(graph, inputs: converted(inputs, to: graph.inputs, of: graph), parameters: converted(parameters, to: graph.parameters, of: graph))
    } catch {
      let graph = stage.position == 0 ? "the input graph" : "the graph after pass '\(stage.name)' (stage \(stage.position))"
      let runner = interpreter is Interpreter ? "the interpreter" : "the backend"
      throw CompileError("--check: \(graph) does not run on \(runner): \(error)")
    }
  }

  /// The tensors with the floating-point dtypes `values` declare, for passes that change the
  /// interface's precision (`widen-to-f64`; mixed precision later): each stage runs on the same
  /// numbers.
  private static func converted(_ tensors: [String: Tensor], to values: [ValueID], of graph: Graph) -> [String: Tensor] {
    var result = tensors
    for value in values {
      let name = graph.name(of: value)
      let dtype = graph.type(of: value).dtype
      guard let tensor = tensors[name], tensor.dtype != dtype, tensor.dtype.isFloatingPoint, dtype.isFloatingPoint else { continue }
      result[name] = CheckInputs.filled(dtype, tensor.shape, tensor.doubles)
    }
    return result
  }

  static func norm(_ tensor: Tensor) -> Double { values(tensor).reduce(0) { $0 + $1 * $1 }.squareRoot() }

  static func distance(_ a: Tensor, _ b: Tensor) -> Double {
    zip(values(a), values(b)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
  }

  /// ‖actual − expected‖₂ / ‖expected‖₂ in f64 (the absolute norm when `expected` is zero);
  /// infinite for a shape mismatch or non-finite values that differ.
  public static func relativeDifference(_ actual: Tensor, _ expected: Tensor) -> Double {
    guard actual.shape == expected.shape else { return .infinity }
    let (a, b) = (values(actual), values(expected))
    var difference = 0.0
    var norm = 0.0
    for (x, y) in zip(a, b) {
      if !x.isFinite || !y.isFinite {
        if x == y || (x.isNaN && y.isNaN) { continue }
        return .infinity
      }
      difference += (x - y) * (x - y)
      norm += y * y
    }
    return norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot()
  }

  private static func values(_ tensor: Tensor) -> [Double] {
    switch tensor.dtype {
    case .f64: tensor.doubles
    case .i64, .i32, .bool: tensor.int64s.map(Double.init)
    case .f32, .f16, .bf16: tensor.floats.map(Double.init)
    }
  }
}
