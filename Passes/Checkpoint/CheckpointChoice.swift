import IR

/// Which forward values the backward recomputes, per strategy.
enum CheckpointChoice {
  /// Segment strategies: every forward value inside a segment is recomputed except those a node
  /// outside the segment reads (the segment's outputs: the checkpoints). Values outside the
  /// stacks are kept.
  static func segmented(_ graph: Graph, size: (Int) -> Int) -> Set<ValueID> {
    let split = Rematerialization.Split(graph)
    let segments = LayerStacks(graph).segments(size: size)
    var boundary: Set<ValueID> = Set(graph.outputs.map(\.value))
    for (index, node) in graph.nodes.enumerated() {
      for operand in node.operands {
        guard let source = split.producer[operand.index], split.isForward[source], let home = segments[source] else { continue }
        if !split.isForward[index] { continue }
        if segments[index] != home { boundary.insert(operand) }
      }
    }
    var recompute: Set<ValueID> = []
    for (index, node) in graph.nodes.enumerated() where split.isForward[index] && segments[index] != nil && !isWorthKeeping(node, graph) {
      for result in node.results where !boundary.contains(result) { recompute.insert(result) }
    }
    return recompute
  }

  /// Convolutions whose recomputation costs at least this many operations per byte they hold.
  static let keptConvolutionIntensity = 256.0

  /// Whether a segment keeps a value inside it: a convolution as costly to redo, per byte, as
  /// the feature encoder's layers 1 to 6 (512 channels × kernel 2 or 3: 512 to 768 operations
  /// per byte of f32 result). Those layers are more than a third of the base model's forward
  /// operations, and their results at 50 to 1,600 frames a second a few hundred MiB at batch
  /// 8 × 10 s; recomputing them made checkpointing cost 44 % more step time. Layer 0 (one input
  /// channel, kernel 10: 5 operations per byte, and the largest result) is recomputed. The ratio
  /// needs no sizes: 2 · in/groups · kernel operations per element of the result.
  static func isWorthKeeping(_ node: Node, _ graph: Graph) -> Bool {
    guard node.op == .conv1d, node.operands.count >= 2 else { return false }
    let weight = graph.type(of: node.operands[1])
    guard weight.shape.count == 3, let inputs = weight.shape[1].constantValue, let kernel = weight.shape[2].constantValue else { return false }
    let bytes = Double(graph.type(of: node.result).dtype.byteSize)
    return 2 * Double(inputs * kernel) / bytes >= keptConvolutionIntensity
  }

  /// A memory budget: recompute the saved values that are cheap to recompute for the memory
  /// they hold, most valuable first, until the planned peak at `bindings` fits `bytes`.
  ///
  /// A candidate is a value the backward reads whose recomputation goes back only through
  /// memory-bound ops (elementwise, shape, norms, softmax, dropout masks) to values that are kept
  /// anyway (saved by the backward, inputs, parameters): recomputing it never keeps a large
  /// value alive that would otherwise die, and never repeats a matrix product. Candidates are
  /// ranked by bytes freed per operation recomputed; the shortest prefix of that ranking whose
  /// plan fits the budget is chosen by bisection (the peak falls, if not strictly, as the prefix
  /// grows).
  static func budget(_ graph: Graph, bytes budget: Int, bindings: [String: Int]) throws -> (recompute: Set<ValueID>, fits: Bool, peak: Int) {
    let split = Rematerialization.Split(graph)
    let savedSet = Set(split.saved)
    let cheapFamilies: Set<OpFamily> = [.elementwise, .shape, .normalization, .sources]
    func isCheap(_ node: Node) -> Bool { node.region == nil && (cheapFamilies.contains(node.op.family) || node.op == .dropoutMask) }
    func size(_ value: ValueID) -> Double {
      graph.type(of: value).shape.reduce(Double(graph.type(of: value).dtype.byteSize)) { $0 * Double(Swift.max($1.evaluate(bindings) ?? 0, 0)) }
    }
    // Each candidate with the values its recomputation needs recomputed too.
    var candidates: [(value: ValueID, closure: Set<ValueID>, score: Double)] = []
    for value in split.saved {
      // A reshape is a view of its operand's memory: recomputing it frees nothing.
      guard let source = split.producer[value.index], isCheap(graph.nodes[source]), graph.nodes[source].op != .reshape else { continue }
      var closure: Set<ValueID> = [value]
      var pending = graph.nodes[source].operands
      var usable = true
      while let operand = pending.popLast(), usable {
        guard let producer = split.producer[operand.index], split.isForward[producer], !savedSet.contains(operand), !closure.contains(operand) else { continue }
        let node = graph.nodes[producer]
        // A value no backward node reads dies in the forward; keeping it for a recomputation
        // would cost its memory, so it must be cheap to recompute as well.
        guard isCheap(node) else {
          usable = false
          break
        }
        closure.insert(operand)
        pending += node.operands
      }
      guard usable else { continue }
      let work = closure.reduce(0.0) { $0 + FlopEstimate.flops(graph.nodes[split.producer[$1.index]!], in: graph, bindings: bindings) }
      candidates.append((value, closure, size(value) / Swift.max(work, 1)))
    }
    candidates.sort { $0.score > $1.score }
    func recomputed(_ count: Int) -> Set<ValueID> { candidates.prefix(count).reduce(into: Set<ValueID>()) { $0.formUnion($1.closure) } }
    func peak(_ count: Int) throws -> Int {
      try MemoryPlan(graph: Rematerialization.apply(graph, recompute: recomputed(count))).resolve(bindings: bindings).peakBytes
    }
    let none = try peak(0)
    if none <= budget { return ([], true, none) }
    let all = try peak(candidates.count)
    if all > budget { return (recomputed(candidates.count), false, all) }
    var (low, high) = (0, candidates.count)  // peak(low) > budget >= peak(high)
    while high - low > 1 {
      let middle = (low + high) / 2
      if try peak(middle) <= budget { high = middle } else { low = middle }
    }
    return (recomputed(high), true, try peak(high))
  }
}
