import IR
import Tensor

/// Something that runs a graph: the interpreter (the reference) or the C backend. Both take
/// the graph's inputs and parameters by name and return its outputs by name, so commands, the
/// recogniser, the evaluator and the trainer are written once for either.
public protocol GraphExecutor: Sendable {
  func run(_ graph: Graph, inputs: [String: Tensor], parameters: [String: Tensor]) throws -> [String: Tensor]
}

extension Interpreter: GraphExecutor {}
