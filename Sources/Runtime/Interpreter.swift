import Foundation
import IR
@_exported import Tensor

/// The reference backend: runs a graph node by node on the CPU.
///
/// Symbols in the input types (B, S, …) are bound from the tensors given; every node's
/// result shape is the type rule's dimension expressions evaluated with those bindings, and
/// each kernel's output is checked against it. Values are released after their last use.
/// f16 and bf16 operands are widened to f32 for the kernel and its result rounded back.
public struct Interpreter: Sendable {
  /// When set, collects the time spent in each op.
  public var profile: OpProfile?
  /// When set, sees every top-level node's result as it is computed (precision reports).
  public var observer: (@Sendable (Node, Tensor) -> Void)?

  public init(profile: OpProfile? = nil, observer: (@Sendable (Node, Tensor) -> Void)? = nil) {
    self.profile = profile
    self.observer = observer
  }

  /// Runs `graph` and returns its outputs by name.
  public func run(_ graph: Graph, inputs: [String: Tensor], parameters: [String: Tensor]) throws -> [String: Tensor] {
    var values = [Tensor?](repeating: nil, count: graph.values.count)
    var bindings: [String: Int] = [:]
    for input in graph.inputs {
      let name = graph.name(of: input)
      guard let tensor = inputs[name] else { throw InterpreterError.missingInput(name) }
      try bind(graph.type(of: input), to: tensor, name: "input %\(name)", bindings: &bindings)
      values[input.index] = tensor
    }
    for input in graph.inputs {
      try check(graph.type(of: input), against: inputs[graph.name(of: input)]!, name: "input %\(graph.name(of: input))", bindings: bindings)
    }
    for parameter in graph.parameters {
      let name = graph.name(of: parameter)
      guard let tensor = parameters[name] else { throw InterpreterError.missingParameter(name) }
      try check(graph.type(of: parameter), against: tensor, name: "parameter %\(name)", bindings: bindings)
      values[parameter.index] = tensor
    }
    let lastUse = lastUses(graph)
    let clock = ContinuousClock()
    for (position, node) in graph.nodes.enumerated() {
      let start = clock.now
      let operands = node.operands.map { values[$0.index]! }
      let results = node.region == nil
        ? [try execute(node, operands, in: graph, bindings: bindings)]
        : try executeRegion(node, operands, in: graph, bindings: bindings)
      profile?.record(node.op, clock.now - start)
      observer?(node, results[0])
      // A result nothing reads (an unused extra result of a region) is dropped at once.
      for (value, tensor) in zip(node.results, results) where lastUse[value] != nil { values[value.index] = tensor }
      for operand in Set(node.operands) where lastUse[operand] == position && graph[operand].role == .result {
        values[operand.index] = nil
      }
    }
    var outputs: [String: Tensor] = [:]
    for output in graph.outputs { outputs[output.name] = values[output.value.index] }
    return outputs
  }

  /// Runs a region's body on its operands and returns the yielded tensors, freeing each body
  /// value after its last use inside the region.
  private func executeRegion(_ node: Node, _ operands: [Tensor], in graph: Graph, bindings: [String: Int]) throws -> [Tensor] {
    guard let region = node.region else { throw InterpreterError.unsupported("\(node.op) without a region") }
    var inner: [ValueID: Tensor] = [:]
    for (argument, operand) in zip(region.arguments, operands) { inner[argument] = operand }
    var lastUse: [ValueID: Int] = [:]
    for (position, innerNode) in region.nodes.enumerated() { for operand in innerNode.operands { lastUse[operand] = position } }
    for yielded in region.yields { lastUse[yielded] = Int.max }
    for (position, innerNode) in region.nodes.enumerated() {
      let innerOperands = innerNode.operands.map { inner[$0]! }
      let results = innerNode.region == nil
        ? [try execute(innerNode, innerOperands, in: graph, bindings: bindings)]
        : try executeRegion(innerNode, innerOperands, in: graph, bindings: bindings)
      for (value, tensor) in zip(innerNode.results, results) where lastUse[value] != nil { inner[value] = tensor }
      for operand in innerNode.operands where lastUse[operand] == position { inner[operand] = nil }
    }
    return try region.yields.map { yielded in
      guard let tensor = inner[yielded] else { throw InterpreterError.invalidValue("region of %\(graph.name(of: node.result)) yields %\(graph.name(of: yielded)), which it did not compute") }
      return tensor
    }
  }

  private func execute(_ node: Node, _ operands: [Tensor], in graph: Graph, bindings: [String: Int]) throws -> Tensor {
    let declared = graph.type(of: node.result)
    let shape = try declared.shape.map { dim -> Int in
      guard let value = dim.evaluate(bindings) else { throw InterpreterError.shapeMismatch("unbound symbol in \(declared)") }
      return value
    }
    let widen = node.op != .cast && operands.contains { $0.dtype == .f16 || $0.dtype == .bf16 }
    let kernelOperands = widen ? operands.map { $0.dtype == .f16 || $0.dtype == .bf16 ? ElementwiseKernels.cast($0, to: .f32) : $0 } : operands
    let kernelDType = widen && (declared.dtype == .f16 || declared.dtype == .bf16) ? DType.f32 : declared.dtype
    var result: Tensor
    do {
      result = try Kernels.execute(node.op, kernelOperands, node.attributes, resultType: (kernelDType, shape), bindings: bindings)
    } catch let error as InterpreterError {
      throw InterpreterError.invalidValue("%\(graph.name(of: node.result)) = \(node.op): \(error)")
    }
    if result.dtype != declared.dtype { result = ElementwiseKernels.cast(result, to: declared.dtype) }
    guard result.shape == shape else {
      throw InterpreterError.shapeMismatch("%\(graph.name(of: node.result)) = \(node.op) produced shape \(result.shape), its type \(declared) says \(shape)")
    }
    return result
  }

  /// Binds plain symbols of a declared type from an actual tensor.
  private func bind(_ type: TensorType, to tensor: Tensor, name: String, bindings: inout [String: Int]) throws {
    guard tensor.dtype == type.dtype, tensor.rank == type.rank else {
      throw InterpreterError.shapeMismatch("\(name) is declared \(type) but got \(tensor.dtype)\(tensor.shape)")
    }
    for (dim, size) in zip(type.shape, tensor.shape) {
      guard dim.constant == 0, dim.terms.count == 1, dim.terms[0].coefficient == 1, case .symbol(let symbol) = dim.terms[0].atom else { continue }
      if let bound = bindings[symbol], bound != size {
        throw InterpreterError.shapeMismatch("\(name) gives \(symbol) = \(size), but an earlier input bound \(symbol) = \(bound)")
      }
      bindings[symbol] = size
    }
  }

  private func check(_ type: TensorType, against tensor: Tensor, name: String, bindings: [String: Int]) throws {
    let expected = type.shape.map { $0.evaluate(bindings) }
    guard tensor.dtype == type.dtype, expected.count == tensor.rank, zip(expected, tensor.shape).allSatisfy({ $0 == $1 }) else {
      throw InterpreterError.shapeMismatch("\(name) is declared \(type) but got \(tensor.dtype)\(tensor.shape)")
    }
  }

  /// Index of the top-level node that uses each value last (outputs count as used at the end).
  private func lastUses(_ graph: Graph) -> [ValueID: Int] {
    var last: [ValueID: Int] = [:]
    for (position, node) in graph.nodes.enumerated() { for operand in node.operands { last[operand] = position } }
    for output in graph.outputs { last[output.value] = Int.max }
    return last
  }
}

/// Time per op across interpreter runs (`asrc bench --profile`).
public final class OpProfile: @unchecked Sendable {
  private var seconds: [Op: Double] = [:]
  private var counts: [Op: Int] = [:]

  public init() {}

  func record(_ op: Op, _ duration: Duration) {
    seconds[op, default: 0] += Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    counts[op, default: 0] += 1
  }

  /// One line per op, slowest first: op, calls, seconds, share of the total.
  public var report: String {
    let total = seconds.values.reduce(0, +)
    return seconds.sorted { $0.value > $1.value }.map { op, time in
      let share = total > 0 ? 100 * time / total : 0
      return "\(op.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(counts[op]!).leftPadded(6)) calls \(String(format: "%8.3f", time)) s \(String(format: "%5.1f", share)) %"
    }.joined(separator: "\n")
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
