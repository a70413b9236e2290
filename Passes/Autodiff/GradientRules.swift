import IR

/// The gradient of every differentiable op: given the node and the gradient of its result
/// (`dy`), the gradients of its operands (nil where an operand takes none). One entry per op,
/// in the spirit of tinygrad's gradient.py; the switch is exhaustive, so a new op must say here
/// how (or that it cannot) be differentiated.
enum GradientRules {
  typealias Rule = (inout GradientBuilder, Node, ValueID) throws(Diagnostic) -> [ValueID?]

  static func rule(for op: Op) -> Rule? {
    switch op {
    // y = f(x): dx = dy · f'(x), written with y where that is cheaper.
    case .neg: { g, _, dy throws(Diagnostic) in [try g.neg(dy)] }
    case .abs: { g, n, dy throws(Diagnostic) in
        let x = n.operands[0]
        let zero = try g.scalar(0, like: x)
        let positive = try g.apply(.gt, [x, zero])
        let negative = try g.apply(.lt, [x, zero])
        return [try g.select(positive, dy, try g.select(negative, try g.neg(dy), zero))]
      }
    case .exp: { g, n, dy throws(Diagnostic) in [try g.mul(dy, n.result)] }
    case .log: { g, n, dy throws(Diagnostic) in [try g.div(dy, n.operands[0])] }
    case .sqrt: { g, n, dy throws(Diagnostic) in [try g.div(dy, try g.scaled(n.result, 2))] }
    case .rsqrt: { g, n, dy throws(Diagnostic) in
        let cube = try g.mul(n.result, try g.mul(n.result, n.result))
        return [try g.mul(dy, try g.scaled(cube, -0.5))]
      }
    case .tanh: { g, n, dy throws(Diagnostic) in
        let one = try g.scalar(1, like: n.result)
        return [try g.mul(dy, try g.sub(one, try g.mul(n.result, n.result)))]
      }
    case .erf: { g, n, dy throws(Diagnostic) in
        let x = n.operands[0]
        let density = try g.apply(.exp, [try g.neg(try g.mul(x, x))])
        return [try g.mul(dy, try g.scaled(density, 2 / Double.pi.squareRoot()))]
      }
    case .gelu: { g, n, dy throws(Diagnostic) in [try g.apply(.geluGrad, [n.operands[0], dy])] }
    case .sigmoid: { g, n, dy throws(Diagnostic) in
        let one = try g.scalar(1, like: n.result)
        return [try g.mul(dy, try g.mul(n.result, try g.sub(one, n.result)))]
      }
    case .relu: { g, n, dy throws(Diagnostic) in
        let zero = try g.scalar(0, like: n.operands[0])
        return [try g.select(try g.apply(.gt, [n.operands[0], zero]), dy, zero)]
      }
    case .reciprocal: { g, n, dy throws(Diagnostic) in [try g.neg(try g.mul(dy, try g.mul(n.result, n.result)))] }

    // Broadcasting binary ops: each gradient is summed back to its operand's shape.
    case .add: { g, n, dy throws(Diagnostic) in
        [try g.sumTo(dy, g.type(n.operands[0]).shape), try g.sumTo(dy, g.type(n.operands[1]).shape)]
      }
    case .sub: { g, n, dy throws(Diagnostic) in
        [try g.sumTo(dy, g.type(n.operands[0]).shape), try g.sumTo(try g.neg(dy), g.type(n.operands[1]).shape)]
      }
    case .mul: { g, n, dy throws(Diagnostic) in
        let (a, b) = (n.operands[0], n.operands[1])
        return [try g.sumTo(try g.mul(dy, b), g.type(a).shape), try g.sumTo(try g.mul(dy, a), g.type(b).shape)]
      }
    case .div: { g, n, dy throws(Diagnostic) in
        let (a, b) = (n.operands[0], n.operands[1])
        let da = try g.div(dy, b)
        let db = try g.neg(try g.mul(da, n.result))
        return [try g.sumTo(da, g.type(a).shape), try g.sumTo(db, g.type(b).shape)]
      }
    case .pow: { g, n, dy throws(Diagnostic) in
        let (a, b) = (n.operands[0], n.operands[1])
        let da = try g.mul(dy, try g.mul(b, try g.div(n.result, a)))
        let db = try g.mul(dy, try g.mul(n.result, try g.apply(.log, [a])))
        return [try g.sumTo(da, g.type(a).shape), try g.sumTo(db, g.type(b).shape)]
      }
    case .maximum, .minimum: { g, n, dy throws(Diagnostic) in
        // As torch: the larger (smaller) operand takes the gradient; ties split it evenly.
        let (a, b) = (n.operands[0], n.operands[1])
        let zero = try g.scalar(0, like: dy)
        let half = try g.scaled(dy, 0.5)
        let wins = try g.apply(n.op == .maximum ? .gt : .lt, [a, b])
        let ties = try g.apply(.eq, [a, b])
        let da = try g.select(ties, half, try g.select(wins, dy, zero))
        let db = try g.select(ties, half, try g.select(wins, zero, dy))
        return [try g.sumTo(da, g.type(a).shape), try g.sumTo(db, g.type(b).shape)]
      }
    case .select: { g, n, dy throws(Diagnostic) in
        let (condition, onTrue, onFalse) = (n.operands[0], n.operands[1], n.operands[2])
        let zero = try g.scalar(0, like: dy)
        return [
          nil, try g.sumTo(try g.select(condition, dy, zero), g.type(onTrue).shape),
          try g.sumTo(try g.select(condition, zero, dy), g.type(onFalse).shape),
        ]
      }
    case .cast: { g, n, dy throws(Diagnostic) in [try g.builder.cast(dy, to: g.type(n.operands[0]).dtype)] }

    // Linear algebra.
    case .matmul: { g, n, dy throws(Diagnostic) in
        let (a, b) = (n.operands[0], n.operands[1])
        let (rankA, rankB) = (g.type(a).rank, g.type(b).rank)
        let bT = try g.builder.transpose(b, swapLast(rankB))
        let aT = try g.builder.transpose(a, swapLast(rankA))
        return [try g.sumTo(try g.builder.matmul(dy, bT), g.type(a).shape), try g.sumTo(try g.builder.matmul(aT, dy), g.type(b).shape)]
      }
    case .linear: { g, n, dy throws(Diagnostic) in
        // y = x·Wᵀ + b: dx = dy·W, dW = Σ dyᵀ·x over the leading axes (one GEMM), db = Σ dy.
        let (x, weight) = (n.operands[0], n.operands[1])
        let rank = g.type(x).rank
        var dx: ValueID
        if rank == 1 {
          let row = try g.builder.reshape(dy, [1] + g.type(dy).shape)
          dx = try g.builder.reshape(try g.builder.matmul(row, weight), g.type(x).shape)
        } else {
          dx = try g.builder.matmul(dy, weight)
        }
        var gradients: [ValueID?] = [dx, try g.apply(.linearWeightGrad, [dy, x])]
        if n.operands.count == 3 { gradients.append(try g.reduceSum(dy, axes: Array(0..<(rank - 1)), keepdims: false)) }
        return gradients
      }
    case .conv1d: { g, n, dy throws(Diagnostic) in
        let (x, weight) = (n.operands[0], n.operands[1])
        var geometry = Attributes()
        for key in ["stride", "padding", "dilation", "groups"] { geometry[key] = n.attributes[key] }
        var inputAttributes = geometry
        inputAttributes["input_length"] = .dims([g.type(x).shape[2]])
        var weightAttributes = geometry
        weightAttributes["kernel_size"] = .int(g.type(weight).shape[2].constantValue ?? 1)
        var gradients: [ValueID?] = [
          try g.apply(.conv1dInputGrad, [dy, weight], inputAttributes), try g.apply(.conv1dWeightGrad, [dy, x], weightAttributes),
        ]
        if n.operands.count == 3 { gradients.append(try g.reduceSum(dy, axes: [0, 2], keepdims: false)) }
        return gradients
      }

    // Normalisations, recomputing their statistics from x.
    case .layerNorm: { g, n, dy throws(Diagnostic) in
        let (x, weight) = (n.operands[0], n.operands[1])
        let axis = g.type(x).rank - 1
        let stats = try normalized(&g, x, axes: [axis], eps: n.attributes["eps"])
        let dyHat = try g.mul(dy, weight)
        let dx = try normalizationInputGradient(&g, dyHat, stats, axes: [axis])
        let leading = Array(0..<axis)
        return [dx, try g.reduceSum(try g.mul(dy, stats.xHat), axes: leading, keepdims: false), try g.reduceSum(dy, axes: leading, keepdims: false)]
      }
    case .groupNorm: { g, n, dy throws(Diagnostic) in
        // Statistics per (sample, group): view [N, C, L] as [N, groups, C / groups, L].
        let (x, weight) = (n.operands[0], n.operands[1])
        let shape = g.type(x).shape
        let groups: Int
        if case .int(let value)? = n.attributes["groups"] { groups = value } else { groups = 1 }
        let channels = shape[1].constantValue ?? groups
        let grouped = [shape[0], DimExpr(groups), DimExpr(channels / groups), shape[2]]
        let x4 = try g.builder.reshape(x, grouped)
        let stats = try normalized(&g, x4, axes: [2, 3], eps: n.attributes["eps"])
        let column = try g.builder.reshape(weight, [1, shape[1], 1])
        let dyHat = try g.builder.reshape(try g.mul(dy, column), grouped)
        let dx = try g.builder.reshape(try normalizationInputGradient(&g, dyHat, stats, axes: [2, 3]), shape)
        let xHat = try g.builder.reshape(stats.xHat, shape)
        return [dx, try g.reduceSum(try g.mul(dy, xHat), axes: [0, 2], keepdims: false), try g.reduceSum(dy, axes: [0, 2], keepdims: false)]
      }
    case .softmax: { g, n, dy throws(Diagnostic) in
        let axis = axisOf(n)
        let dot = try g.reduceSum(try g.mul(dy, n.result), axes: [axis], keepdims: true)
        return [try g.mul(n.result, try g.sub(dy, dot))]
      }
    case .logSoftmax: { g, n, dy throws(Diagnostic) in
        let axis = axisOf(n)
        let total = try g.reduceSum(dy, axes: [axis], keepdims: true)
        return [try g.sub(dy, try g.mul(try g.apply(.exp, [n.result]), total))]
      }

    // Data movement: the adjoint moves the gradient back.
    case .transpose: { g, n, dy throws(Diagnostic) in
        guard case .ints(let perm)? = n.attributes["perm"] else { return [nil] }
        var inverse = perm
        for (index, axis) in perm.enumerated() { inverse[axis] = index }
        return [try g.builder.transpose(dy, inverse)]
      }
    case .reshape: { g, n, dy throws(Diagnostic) in [try g.builder.reshape(dy, g.type(n.operands[0]).shape)] }
    case .broadcastTo: { g, n, dy throws(Diagnostic) in [try g.sumTo(dy, g.type(n.operands[0]).shape)] }
    case .slice: { g, n, dy throws(Diagnostic) in
        let x = n.operands[0]
        guard case .int(let axis)? = n.attributes["axis"], case .dims(let starts)? = n.attributes["start"],
          case .dims(let ends)? = n.attributes["end"], case .int(let step)? = n.attributes["step"]
        else { return [nil] }
        let after = g.type(x).shape[axis] - ends[0]
        guard step == 1, let before = starts[0].constantValue, let trailing = after.constantValue else {
          throw Diagnostic(op: "slice", message: "gradient needs step 1 and a constant distance to the axis ends (start \(starts[0]), end \(ends[0]), size \(g.type(x).shape[axis]))")
        }
        var pads = [Int](repeating: 0, count: 2 * g.type(x).rank)
        pads[2 * axis] = before
        pads[2 * axis + 1] = trailing
        return [try g.apply(.pad, [dy], ["pads": .ints(pads), "value": .float(0)])]
      }
    case .pad: { g, n, dy throws(Diagnostic) in
        guard case .ints(let pads)? = n.attributes["pads"] else { return [nil] }
        var gradient = dy
        for axis in 0..<g.type(n.operands[0]).rank where pads[2 * axis] != 0 || pads[2 * axis + 1] != 0 {
          gradient = try g.builder.slice(gradient, axis: axis, start: DimExpr(pads[2 * axis]), end: DimExpr(pads[2 * axis]) + g.type(n.operands[0]).shape[axis])
        }
        return [gradient]
      }
    case .concat: { g, n, dy throws(Diagnostic) in
        let axis = axisOf(n)
        var offset = DimExpr(0)
        var gradients: [ValueID?] = []
        for operand in n.operands {
          let size = g.type(operand).shape[axis]
          gradients.append(try g.builder.slice(dy, axis: axis, start: offset, end: offset + size))
          offset = offset + size
        }
        return gradients
      }

    // Reductions: broadcast back (and divide by the count for the mean).
    case .reduceSum, .reduceMean: { g, n, dy throws(Diagnostic) in
        let x = n.operands[0]
        guard case .ints(let axes)? = n.attributes["axes"], case .bool(let keep)? = n.attributes["keepdims"] else { return [nil] }
        var gradient = try g.expand(dy, reducedAxes: axes, keepdims: keep, to: g.type(x).shape)
        if n.op == .reduceMean { gradient = try g.div(gradient, try g.count(of: x, axes: axes)) }
        return [gradient]
      }
    case .reduceMax: { g, n, dy throws(Diagnostic) in
        // Ties share the gradient evenly (torch.amax).
        let x = n.operands[0]
        guard case .ints(let axes)? = n.attributes["axes"], case .bool(let keep)? = n.attributes["keepdims"] else { return [nil] }
        let shape = g.type(x).shape
        let maximum = try g.expand(n.result, reducedAxes: axes, keepdims: keep, to: shape)
        let zero = try g.scalar(0, like: x)
        let isMaximum = try g.select(try g.apply(.eq, [x, maximum]), try g.scalar(1, like: x), zero)
        let ties = try g.expand(try g.reduceSum(isMaximum, axes: axes, keepdims: keep), reducedAxes: axes, keepdims: keep, to: shape)
        let spread = try g.expand(dy, reducedAxes: axes, keepdims: keep, to: shape)
        return [try g.mul(spread, try g.div(isMaximum, ties))]
      }

    // CTC: the alpha-beta gradient with respect to the log-probabilities.
    case .ctcLoss: { g, n, dy throws(Diagnostic) in
        [try g.apply(.ctcLossGrad, n.operands + [dy], n.attributes), nil, nil]
      }

    // No gradient flows through these: integer or boolean results, sources and random masks.
    case .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr, .logicalNot, .floorDiv, .argmax, .iota, .constant, .dimSize, .dropoutMask:
      { _, n, _ throws(Diagnostic) in n.operands.map { _ in nil } }

    // Second-order derivatives and regions are not differentiated (autodiff runs before fusion).
    case .conv1dInputGrad, .conv1dWeightGrad, .linearWeightGrad, .ctcLossGrad, .geluGrad, .fused: nil
    }
  }

  /// Ops whose results never carry a gradient.
  static func isNonDifferentiable(_ op: Op) -> Bool {
    [.eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr, .logicalNot, .floorDiv, .argmax, .iota, .constant, .dimSize, .dropoutMask].contains(op)
  }

  private static func swapLast(_ rank: Int) -> [Int] {
    var perm = Array(0..<rank)
    perm.swapAt(rank - 1, rank - 2)
    return perm
  }

  private static func axisOf(_ node: Node) -> Int {
    if case .int(let axis)? = node.attributes["axis"] { return axis }
    return 0
  }

  struct Statistics {
    var xHat: ValueID
    var inverseDeviation: ValueID
  }

  /// x̂ = (x - mean) / sqrt(var + eps) over `axes` (biased variance), kept for the backward formula.
  private static func normalized(_ g: inout GradientBuilder, _ x: ValueID, axes: [Int], eps: Attribute?) throws(Diagnostic) -> Statistics {
    let epsilon: Double
    if case .float(let value)? = eps { epsilon = value } else { epsilon = 1e-5 }
    let mean = try g.builder.reduce(.reduceMean, x, axes: axes, keepdims: true)
    let centered = try g.sub(x, mean)
    let variance = try g.builder.reduce(.reduceMean, try g.mul(centered, centered), axes: axes, keepdims: true)
    let inverse = try g.apply(.rsqrt, [try g.add(variance, try g.scalar(epsilon, like: x))])
    return Statistics(xHat: try g.mul(centered, inverse), inverseDeviation: inverse)
  }

  /// dx = (dŷ - mean(dŷ) - x̂ · mean(dŷ · x̂)) / σ over the normalised axes.
  private static func normalizationInputGradient(_ g: inout GradientBuilder, _ dyHat: ValueID, _ stats: Statistics, axes: [Int]) throws(Diagnostic) -> ValueID {
    let meanGradient = try g.builder.reduce(.reduceMean, dyHat, axes: axes, keepdims: true)
    let projection = try g.builder.reduce(.reduceMean, try g.mul(dyHat, stats.xHat), axes: axes, keepdims: true)
    let centered = try g.sub(try g.sub(dyHat, meanGradient), try g.mul(stats.xHat, projection))
    return try g.mul(centered, stats.inverseDeviation)
  }
}
