import IR

/// The layers of the model's two stacks (the convolutional feature encoder's `conv_layers.N`
/// and the transformer's `layers.N`) and which forward node belongs to which, from the module
/// scopes the drawings use.
struct LayerStacks {
  /// For each top-level node: its stack (the module path up to the layer) and layer number.
  var layerOfNode: [(stack: [String], index: Int)?]
  /// Each stack's number of layers.
  var layerCounts: [[String]: Int]

  init(_ graph: Graph) {
    let scopes = ModuleScopes(graph)
    layerOfNode = graph.nodes.map { node in
      let path = scopes.path(of: node.result)
      guard path.first != "backward" else { return nil }
      for (position, component) in path.enumerated() {
        guard let dot = component.lastIndex(of: "."), component[..<dot].hasSuffix("layers"), let number = Int(component[component.index(after: dot)...]) else {
          continue
        }
        return (Array(path[..<position]) + [String(component[..<dot])], number)
      }
      return nil
    }
    layerCounts = [:]
    for case let (stack, index)? in layerOfNode { layerCounts[stack] = Swift.max(layerCounts[stack] ?? 0, index + 1) }
  }

  /// Segments of `size(layers)` consecutive layers of each stack: for each top-level node, its
  /// segment (nil outside every stack).
  func segments(size: (Int) -> Int) -> [SegmentID?] {
    layerOfNode.map { layer in
      guard let (stack, index) = layer else { return nil }
      return SegmentID(stack: stack, number: index / Swift.max(1, size(layerCounts[stack] ?? 1)))
    }
  }
}

struct SegmentID: Hashable {
  var stack: [String]
  var number: Int
}
