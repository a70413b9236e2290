import IR

/// Reverse-mode differentiation: adds the gradient of a scalar loss with respect to every
/// trainable parameter, as ordinary IR, and outputs each as `grad.<parameter name>`.
///
///     before                                   after (abridged)
///     param %w: f32[4]                         param %w: f32[4]
///     %y = mul(%x, %w) : f32[4]                %y = mul(%x, %w) : f32[4]
///     %loss = reduce_sum(%y) {…} : f32[]       %loss = reduce_sum(%y) {…} : f32[]
///     output loss = %loss                      %1 = constant() {…, value = 1.0} : f32[]
///                                              %2 = broadcast_to(…) : f32[4]
///                                              %3 = mul(%2, %x) : f32[4]
///                                              output loss = %loss
///                                              output grad.w = %3
///
/// Only values that depend on a trainable parameter get gradients: with the feature encoder
/// frozen, nothing flows back through the convolutions. A trainable parameter the loss does
/// not reach gets a zero gradient. Gradient rules live in `GradientRules`; the gradients no
/// output needs (of inputs such as the audio) are removed at the end.
public func autodiff(loss: String = "loss", trainable: @escaping @Sendable (String) -> Bool = { _ in true }) -> Pass {
  Pass(
    name: "autodiff", summary: "append the backward pass: grad.<parameter> outputs for a scalar loss",
    details: """
      Reverse-mode differentiation as ordinary IR: the gradient of the scalar output `loss` \
      with respect to every trainable parameter, output as `grad.<parameter name>`. Gradient \
      rules live in `Passes/Autodiff/GradientRules.swift`, one entry per op. Only values that \
      depend on a trainable parameter get gradients (with the feature encoder frozen nothing \
      flows back through the convolutions); a trainable parameter the loss does not reach gets \
      a zero gradient. Training compiles run it before the cleanup and fusion passes, so those \
      see the forward and backward graph together.
      """,
    examples: [
      PassExample(
        "The gradient of a weighted sum",
        before: """
          graph @g {
            input %x: f32[4]
            param %w: f32[4]
            %y = mul(%x, %w) : f32[4]
            %loss = reduce_sum(%y) {axes = [0], keepdims = false} : f32[]
            output loss = %loss
          }
          """,
        after: """
          graph @g {
            input %x: f32[4]
            param %w: f32[4]
            %y = mul(%x, %w) : f32[4]
            %loss = reduce_sum(%y) {axes = [0], keepdims = false} : f32[]
            %0 = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
            %1 = reshape(%0) {shape = [1]} : f32[1]
            %2 = broadcast_to(%1) {shape = [4]} : f32[4]
            %4 = mul(%2, %x) : f32[4]
            output loss = %loss
            output grad.w = %4
          }

          """)
    ]
  ) { graph in
    try differentiate(graph, loss: loss, trainable: trainable)
  }
}

public enum AutodiffError: Error, CustomStringConvertible {
  case noLoss(String, outputs: [String])
  case lossNotScalar(String, TensorType)
  case notDifferentiable(Op, value: String)
  case rule(Diagnostic)

  public var description: String {
    switch self {
    case .noLoss(let name, let outputs): "no output named \(name) to differentiate (outputs: \(outputs.joined(separator: ", ")))"
    case .lossNotScalar(let name, let type): "the loss \(name) must be a floating-point scalar, found \(type)"
    case .notDifferentiable(let op, let value): "cannot differentiate through %\(value) = \(op) (no gradient rule)"
    case .rule(let diagnostic): "a gradient rule failed: \(diagnostic)"
    }
  }
}

func differentiate(_ graph: Graph, loss lossName: String, trainable: (String) -> Bool) throws -> Graph {
  guard let loss = graph.output(named: lossName) else { throw AutodiffError.noLoss(lossName, outputs: graph.outputs.map(\.name)) }
  let lossType = graph.type(of: loss)
  guard lossType.rank == 0, lossType.dtype.isFloatingPoint else { throw AutodiffError.lossNotScalar(lossName, lossType) }

  // Forward: which values depend on a trainable parameter.
  let trained = graph.parameters.filter { trainable(graph.name(of: $0)) && graph.type(of: $0).dtype.isFloatingPoint }
  var needsGradient = Set(trained)
  for node in graph.nodes where !GradientRules.isNonDifferentiable(node.op) && node.operands.contains(where: needsGradient.contains) {
    needsGradient.insert(node.result)
  }

  var gradients = GradientBuilder(builder: GraphBuilder(continuing: graph))
  var adjoints: [ValueID: ValueID] = [:]
  do {
    adjoints[loss] = try gradients.scalar(1, like: loss)
    for node in graph.nodes.reversed() {
      guard needsGradient.contains(node.result), let dy = adjoints[node.result] else { continue }
      guard let rule = GradientRules.rule(for: node.op) else {
        throw AutodiffError.notDifferentiable(node.op, value: graph.name(of: node.result))
      }
      let operandGradients = try rule(&gradients, node, dy)
      for (operand, gradient) in zip(node.operands, operandGradients) {
        guard let gradient, needsGradient.contains(operand) else { continue }
        adjoints[operand] = try adjoints[operand].map { existing throws(Diagnostic) in try gradients.add(existing, gradient) } ?? gradient
      }
    }
    for parameter in trained {
      let gradient = try adjoints[parameter] ?? gradients.zeros(like: parameter)
      gradients.builder.output("grad.\(graph.name(of: parameter))", gradient)
    }
  } catch let error as Diagnostic {
    throw AutodiffError.rule(error)
  }
  // Rules write every operand's gradient; those nothing needs (the audio's, a frozen layer's) go.
  return try deadCodeElimination.run(gradients.builder.graph)
}
