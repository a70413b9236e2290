import IR

/// A real fused kernel for elementwise regions: one pass over the iteration space in cache-sized
/// tiles, each body op applied to the tile in turn, so intermediates never go to memory and
/// each operand is read once. This is the loop nest a C backend emits for the region.
///
/// It takes regions whose body ops are all elementwise (or constants) over one iteration space
/// (every op's result has the primary result's shape; operands broadcast to it) with float32
/// and bool values; anything else runs node by node. Each op rounds to float32 exactly as its
/// own kernel does, so results are bit-identical to the unfused graph.
struct FusedElementwiseKernel {
  /// Where an op reads an input from, per tile.
  private enum Source {
    /// A region operand, read in place: float32 or bool, broadcast to the space.
    case operand(Int)
    /// A constant, by its index in `constants`.
    case constant(Int)
    /// An earlier body op's tile.
    case tile(Int)
  }

  private struct Step {
    var op: Op
    var inputs: [Source]
    var isBool: Bool
    /// Index into the yielded tensors when this value is yielded (written straight there).
    var output: Int?
  }

  private let steps: [Step]
  private let constants: [Double]
  private let space: [Int]
  private let yieldsBool: [Bool]
  /// For each yield, the step that computes it (or nil when a block argument is yielded).
  private let yieldSteps: [Int?]
  private let yieldSources: [Source]

  private static let floatOps: Set<Op> = ElementwiseKernels.floatUnaryOps.union([.geluGrad, .add, .sub, .mul, .div, .pow, .maximum, .minimum])
  private static let comparisons: Set<Op> = [.eq, .ne, .lt, .le, .gt, .ge]

  /// A plan for `region` with the iteration space `space`, or nil when the region is not one
  /// this kernel runs.
  init?(_ region: Region, graph: Graph, space: [Int], operandShapes: [[Int]], bindings: [String: Int]) {
    func runsOverSpace(_ value: ValueID) -> Bool {
      let type = graph.type(of: value)
      return type.rank == space.count && zip(type.shape, space).allSatisfy { $0.evaluate(bindings) == $1 }
    }
    guard region.yields.allSatisfy(runsOverSpace) else { return nil }
    var source: [ValueID: Source] = [:]
    for (position, argument) in region.arguments.enumerated() {
      let type = graph.type(of: argument)
      guard type.dtype == .f32 || type.dtype == .bool, StridedLoop.broadcasts(operandShapes[position], to: space) else { return nil }
      source[argument] = .operand(position)
    }
    var steps: [Step] = []
    var constants: [Double] = []
    var isBool: [ValueID: Bool] = Dictionary(uniqueKeysWithValues: region.arguments.map { ($0, graph.type(of: $0).dtype == .bool) })
    for node in region.nodes {
      guard node.results.count == 1, node.region == nil else { return nil }
      let type = graph.type(of: node.result)
      guard type.dtype == .f32 || type.dtype == .bool else { return nil }
      if node.op == .constant {
        // A constant holds one value whatever its shape, so it is read as a repeated scalar.
        guard case .float(let value)? = node.attributes["value"] else { return nil }
        source[node.result] = .constant(constants.count)
        constants.append(value)
        isBool[node.result] = type.dtype == .bool
        continue
      }
      // Every op runs over the whole space (static here: symbols are bound).
      guard runsOverSpace(node.result) else { return nil }
      let inputBool = node.operands.map { isBool[$0] ?? false }
      switch node.op {
      case _ where Self.floatOps.contains(node.op):
        guard type.dtype == .f32, !inputBool.contains(true) else { return nil }
      case _ where Self.comparisons.contains(node.op):
        guard type.dtype == .bool, !inputBool.contains(true) else { return nil }
      case .logicalNot, .logicalAnd, .logicalOr:
        guard !inputBool.contains(false) else { return nil }
      case .select:
        guard type.dtype == .f32, inputBool == [true, false, false] else { return nil }
      default:
        return nil
      }
      let inputs = node.operands.compactMap { source[$0] }
      guard inputs.count == node.operands.count else { return nil }
      source[node.result] = .tile(steps.count)
      isBool[node.result] = type.dtype == .bool
      steps.append(Step(op: node.op, inputs: inputs, isBool: type.dtype == .bool, output: nil))
    }
    guard !steps.isEmpty else { return nil }
    var yieldSteps: [Int?] = []
    var yieldSources: [Source] = []
    for (number, yielded) in region.yields.enumerated() {
      guard let yieldedSource = source[yielded] else { return nil }
      yieldSources.append(yieldedSource)
      if case .tile(let step) = yieldedSource, steps[step].output == nil {
        steps[step].output = number
        yieldSteps.append(step)
      } else {
        yieldSteps.append(nil)
      }
    }
    self.steps = steps
    self.constants = constants
    self.space = space
    self.yieldsBool = region.yields.map { graph.type(of: $0).dtype == .bool }
    self.yieldSteps = yieldSteps
    self.yieldSources = yieldSources
  }

  /// Elements per tile: a tile per body value stays in the L1/L2 cache.
  private static let tile = 2048

  /// Merges neighbouring axes that every operand walks the same way (both contiguous, or both
  /// broadcast), so rows are as long as they can be: a same-shape chain over [B, T, 1] is one
  /// row of B·T elements, not B·T rows of one.
  static func coalesced(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    guard var merged = shape.last.map({ [$0] }) else { return (shape, strides) }
    var mergedStrides = strides.map { [$0[shape.count - 1]] }
    for axis in shape.indices.dropLast().reversed() {
      let inner = merged[0]
      let joins = strides.indices.allSatisfy { strides[$0][axis] == mergedStrides[$0][0] * inner }
      if joins {
        merged[0] *= shape[axis]
      } else {
        merged.insert(shape[axis], at: 0)
        for operand in strides.indices { mergedStrides[operand].insert(strides[operand][axis], at: 0) }
      }
    }
    return (merged, mergedStrides)
  }

  func run(_ operands: [Tensor]) -> [Tensor] {
    let outputs = yieldsBool.map { Tensor(uninitialized: $0 ? .bool : .f32, space) }
    guard space.reduce(1, *) > 0 else { return outputs }
    let (shape, strides) = Self.coalesced(space, operands.map { StridedLoop.broadcastStrides($0.shape, to: space) })
    let inner = shape.last ?? 1
    let rows = shape.isEmpty ? 1 : shape.dropLast().reduce(1, *)
    let innerStrides = strides.map { shape.isEmpty ? 0 : $0[shape.count - 1] }
    let outerShape = Array(shape.dropLast())
    // Segments: at most `tile` elements of one row; tasks: enough segments to be worth a core.
    let perRow = (inner + Self.tile - 1) / Self.tile
    let segments = rows * perRow
    let segmentsPerTask = Swift.max(1, (1 << 15) / Swift.min(inner, Self.tile))
    let outputPointers = outputs.map { $0.storage.data }
    let operandPointers = operands.map { $0.storage.data }
    let steps = self.steps
    let constants = self.constants
    parallelFor((segments + segmentsPerTask - 1) / segmentsPerTask, grain: 1) { task in
      // One tile per body value (yielded values are written in place), then the constants.
      let constantBase = steps.count * Self.tile
      let floats = UnsafeMutablePointer<Float>.allocate(capacity: constantBase + constants.count)
      let bools = UnsafeMutablePointer<UInt8>.allocate(capacity: constantBase + constants.count)
      defer {
        floats.deallocate()
        bools.deallocate()
      }
      for (index, value) in constants.enumerated() {
        floats[constantBase + index] = Float(value)
        bools[constantBase + index] = value != 0 ? 1 : 0
      }
      var rowOffsets = [Int](repeating: 0, count: operandPointers.count)
      let first = task * segmentsPerTask
      for segment in first..<Swift.min(first + segmentsPerTask, segments) {
        let row = segment / perRow
        let start = (segment % perRow) * Self.tile
        let count = Swift.min(Self.tile, inner - start)
        // Each operand's offset at (row, start); along the row it moves by 0 or 1.
        var remainder = row
        for operand in rowOffsets.indices { rowOffsets[operand] = start * innerStrides[operand] }
        for axis in outerShape.indices.reversed() {
          let index = remainder % outerShape[axis]
          remainder /= outerShape[axis]
          for operand in rowOffsets.indices { rowOffsets[operand] += index * strides[operand][axis] }
        }
        let outputOffset = row * inner + start
        func pointer<T>(_ source: Source, _ scratch: UnsafeMutablePointer<T>) -> (UnsafeMutablePointer<T>, Int) {
          switch source {
          case .operand(let operand): return (operandPointers[operand].assumingMemoryBound(to: T.self) + rowOffsets[operand], innerStrides[operand])
          case .constant(let index): return (scratch + constantBase + index, 0)
          case .tile(let step):
            if let output = steps[step].output { return (outputPointers[output].assumingMemoryBound(to: T.self) + outputOffset, 1) }
            return (scratch + step * Self.tile, 1)
          }
        }
        for (index, step) in steps.enumerated() {
          let target = Source.tile(index)
          switch step.op {
          case .select:
            let (condition, sc) = pointer(step.inputs[0], bools)
            let (onTrue, st) = pointer(step.inputs[1], floats)
            let (onFalse, sf) = pointer(step.inputs[2], floats)
            let out = pointer(target, floats).0
            for i in 0..<count { out[i] = condition[i * sc] != 0 ? onTrue[i * st] : onFalse[i * sf] }
          case .logicalNot:
            let (x, sx) = pointer(step.inputs[0], bools)
            let out = pointer(target, bools).0
            for i in 0..<count { out[i] = x[i * sx] == 0 ? 1 : 0 }
          case .logicalAnd, .logicalOr:
            let (a, sa) = pointer(step.inputs[0], bools)
            let (b, sb) = pointer(step.inputs[1], bools)
            let out = pointer(target, bools).0
            if step.op == .logicalAnd {
              for i in 0..<count { out[i] = a[i * sa] != 0 && b[i * sb] != 0 ? 1 : 0 }
            } else {
              for i in 0..<count { out[i] = a[i * sa] != 0 || b[i * sb] != 0 ? 1 : 0 }
            }
          case _ where Self.comparisons.contains(step.op):
            let (a, sa) = pointer(step.inputs[0], floats)
            let (b, sb) = pointer(step.inputs[1], floats)
            ElementwiseKernels.compareRange(step.op, a, sa, b, sb, pointer(target, bools).0, count)
          case .geluGrad:
            let (x, sx) = pointer(step.inputs[0], floats)
            let (dy, sd) = pointer(step.inputs[1], floats)
            ElementwiseKernels.geluGradRange(x, sx, dy, sd, pointer(target, floats).0, count)
          case _ where step.inputs.count == 1:
            let (x, sx) = pointer(step.inputs[0], floats)
            let out = pointer(target, floats).0
            if sx == 1 {
              ElementwiseKernels.unaryFloatRange(step.op, x, out, count)
            } else {
              ElementwiseKernels.unaryFloatRange(step.op, x, out, 1)
              for i in 1..<Swift.max(count, 1) { out[i] = out[0] }
            }
          default:
            let (a, sa) = pointer(step.inputs[0], floats)
            let (b, sb) = pointer(step.inputs[1], floats)
            ElementwiseKernels.binaryFloatRange(step.op, a, sa, b, sb, pointer(target, floats).0, count)
          }
        }
      }
    }
    // Yields that are not computed by their own step (a block argument, a constant, or a value
    // yielded twice) are copied; an operand already of the space's shape is passed through.
    var results = outputs
    for (number, step) in yieldSteps.enumerated() where step == nil {
      if case .operand(let operand) = yieldSources[number], operands[operand].shape == space {
        results[number] = operands[operand]
        continue
      }
      let source = yieldSources[number]
      let out = outputs[number]
      switch source {
      case .tile(let step):
        guard let owner = steps[step].output else { continue }
        out.storage.data.copyMemory(from: outputs[owner].storage.data, byteCount: out.byteCount)
      case .operand(let operand):
        let copy = ShapeKernels.broadcast(operands[operand], to: space)
        out.storage.data.copyMemory(from: copy.storage.data, byteCount: out.byteCount)
      case .constant(let index):
        if yieldsBool[number] {
          out.pointer(UInt8.self).update(repeating: constants[index] != 0 ? 1 : 0, count: out.count)
        } else {
          out.pointer(Float.self).update(repeating: Float(constants[index]), count: out.count)
        }
      }
    }
    return results
  }
}
