/// Where each value of a graph sits in the Hugging Face module tree, for drawings that group
/// nodes the way a reader thinks of the model: conv layer N, encoder layer N's attention and
/// feed-forward, the loss, and the backward of each.
///
/// Values carry no scope of their own (most results are numbered), so scopes are inferred:
/// - a parameter belongs to the module that owns it, less the leaf layer
///   (`wav2vec2.encoder.layers.3.attention.q_proj.weight` is in `wav2vec2 / encoder / layers.3 / attention`);
/// - a node that takes parameters belongs to the latest of their modules (modules are ordered
///   by their parameters' first appearance, which is the order the model runs them);
/// - any other forward node belongs to the latest module among its operands, except that nodes
///   only a later output needs (the CTC loss beside the logits) form a scope named after it;
/// - nodes no forward output needs, in a graph with `grad.` outputs, are the backward pass: their
///   scope is `backward` followed by the module whose parameters they use, else the earliest
///   module among their backward operands (gradients flow from late modules to early ones),
///   else the latest among their forward operands.
public struct ModuleScopes: Sendable {
  /// The distinct forward scopes, in the order the model runs them.
  public private(set) var scopes: [[String]] = []
  private var scopeOfValue: [Int?]
  private var backward: [Bool]

  /// The scope of a value: an empty path for values outside every module (inputs, and nodes
  /// that only inputs reach).
  public func path(of value: ValueID) -> [String] {
    let forward = scopeOfValue[value.index].map { scopes[$0] } ?? []
    return backward[value.index] ? ["backward"] + forward : forward
  }

  /// Whether a value belongs to the backward pass.
  public func isBackward(_ value: ValueID) -> Bool { backward[value.index] }

  public init(_ graph: Graph) {
    scopeOfValue = Array(repeating: nil, count: graph.values.count)
    backward = Array(repeating: false, count: graph.values.count)
    var interned: [[String]: Int] = [:]
    func intern(_ path: [String]) -> Int? {
      guard !path.isEmpty else { return nil }
      if let known = interned[path] { return known }
      scopes.append(path)
      interned[path] = scopes.count - 1
      return scopes.count - 1
    }
    for parameter in graph.parameters { scopeOfValue[parameter.index] = intern(Self.scope(ofParameter: graph.name(of: parameter))) }

    // Which forward outputs (at most 64; bit i for the i-th) need each value.
    let forwardOutputs = graph.outputs.filter { !$0.name.hasPrefix("grad.") }.prefix(64)
    let hasGradients = graph.outputs.count > forwardOutputs.count
    var neededBy = [UInt64](repeating: 0, count: graph.values.count)
    for (bit, output) in forwardOutputs.enumerated() { neededBy[output.value.index] |= 1 << UInt64(bit) }
    for node in graph.nodes.reversed() {
      // A multi-result node is needed by whatever needs any of its results.
      let need = node.results.reduce(UInt64(0)) { $0 | neededBy[$1.index] }
      guard need != 0 else { continue }
      for result in node.results { neededBy[result.index] = need }
      for operand in node.operands { neededBy[operand.index] |= need }
    }

    for node in graph.nodes {
      let result = node.result.index
      let isBackward = hasGradients && neededBy[result] == 0
      backward[result] = isBackward
      let parameterScopes = node.operands.filter { graph[$0].role == .parameter }.compactMap { scopeOfValue[$0.index] }
      if let latest = parameterScopes.max() {
        scopeOfValue[result] = latest
      } else if isBackward {
        let fromGradients = node.operands.filter { backward[$0.index] }.compactMap { scopeOfValue[$0.index] }.min()
        scopeOfValue[result] = fromGradients ?? node.operands.filter { !backward[$0.index] }.compactMap { scopeOfValue[$0.index] }.max()
      } else {
        let mask = neededBy[result]
        let onlyOutput = mask != 0 && mask & (mask - 1) == 0 ? mask.trailingZeroBitCount : nil
        if let onlyOutput, onlyOutput > 0 {
          scopeOfValue[result] = intern([forwardOutputs[forwardOutputs.startIndex + onlyOutput].name])
        } else {
          scopeOfValue[result] = node.operands.compactMap { scopeOfValue[$0.index] }.max()
        }
      }
      // Further results of a fused node share its module.
      for other in node.results.dropFirst() {
        backward[other.index] = backward[result]
        scopeOfValue[other.index] = scopeOfValue[result]
      }
    }
  }

  /// The module path of a parameter's owning module, less its leaf layer, with list indices
  /// kept on their list (`layers.3`): `lm_head.weight` → [lm_head],
  /// `wav2vec2.feature_extractor.conv_layers.0.conv.weight` → [wav2vec2, feature_extractor, conv_layers.0].
  public static func scope(ofParameter name: String) -> [String] {
    var owner = name.split(separator: ".", omittingEmptySubsequences: false)
    if let parametrization = owner.firstIndex(of: "parametrizations") {
      owner = Array(owner[..<parametrization])  // weight norm: `conv.parametrizations.weight.original0`
    } else {
      owner.removeLast()
    }
    var parts: [String] = []
    for component in owner where !component.isEmpty {
      if component.allSatisfy(\.isNumber), let last = parts.popLast() {
        parts.append("\(last).\(component)")
      } else {
        parts.append(String(component))
      }
    }
    if parts.count >= 2 { parts.removeLast() }
    return parts
  }
}
