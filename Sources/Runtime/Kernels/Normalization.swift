import IR

/// LayerNorm, GroupNorm, softmax and log-softmax. Statistics accumulate in Double.
enum NormalizationKernels {
  static func layerNorm(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, eps: Double) -> Tensor {
    switch x.dtype {
    case .f64: return layerNorm(x, weight, bias, eps: eps, as: Double.self)
    default: return layerNorm(x, weight, bias, eps: eps, as: Float.self)
    }
  }

  private static func layerNorm<T: KernelFloat>(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, eps: Double, as _: T.Type) -> Tensor {
    let y = Tensor(uninitialized: x.dtype, x.shape)
    let width = x.shape.last ?? 1
    let rows = width == 0 ? 0 : x.count / width
    let (input, output, gamma, beta) = (x.pointer(T.self), y.pointer(T.self), weight.pointer(T.self), bias.pointer(T.self))
    parallelFor(rows, grain: 64) { row in
      let base = row * width
      var sum = 0.0
      for i in 0..<width { sum += Double(input[base + i]) }
      let mean = sum / Double(width)
      var squares = 0.0
      for i in 0..<width {
        let centered = Double(input[base + i]) - mean
        squares += centered * centered
      }
      let scale = 1 / (squares / Double(width) + eps).squareRoot()
      for i in 0..<width {
        output[base + i] = T((Double(input[base + i]) - mean) * scale) * gamma[i] + beta[i]
      }
    }
    return y
  }

  static func groupNorm(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, groups: Int, eps: Double) -> Tensor {
    switch x.dtype {
    case .f64: return groupNorm(x, weight, bias, groups: groups, eps: eps, as: Double.self)
    default: return groupNorm(x, weight, bias, groups: groups, eps: eps, as: Float.self)
    }
  }

  private static func groupNorm<T: KernelFloat>(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, groups: Int, eps: Double, as _: T.Type) -> Tensor {
    let (batch, channels, length) = (x.shape[0], x.shape[1], x.shape[2])
    let perGroup = channels / groups
    let y = Tensor(uninitialized: x.dtype, x.shape)
    let (input, output, gamma, beta) = (x.pointer(T.self), y.pointer(T.self), weight.pointer(T.self), bias.pointer(T.self))
    parallelFor(batch * groups, grain: 1) { item in
      let (n, g) = (item / groups, item % groups)
      let base = (n * channels + g * perGroup) * length
      let count = perGroup * length
      var sum = 0.0
      for i in 0..<count { sum += Double(input[base + i]) }
      let mean = sum / Double(Swift.max(count, 1))
      var squares = 0.0
      for i in 0..<count {
        let centered = Double(input[base + i]) - mean
        squares += centered * centered
      }
      let scale = 1 / (squares / Double(Swift.max(count, 1)) + eps).squareRoot()
      for c in 0..<perGroup {
        let channel = g * perGroup + c
        let (w, b) = (gamma[channel], beta[channel])
        let rowBase = base + c * length
        for t in 0..<length { output[rowBase + t] = T((Double(input[rowBase + t]) - mean) * scale) * w + b }
      }
    }
    return y
  }

  static func softmax(_ x: Tensor, axis: Int, logarithm: Bool) -> Tensor {
    switch x.dtype {
    case .f64: return softmax(x, axis: axis, logarithm: logarithm, as: Double.self)
    default: return softmax(x, axis: axis, logarithm: logarithm, as: Float.self)
    }
  }

  private static func softmax<T: KernelFloat>(_ x: Tensor, axis: Int, logarithm: Bool, as _: T.Type) -> Tensor {
    let outer = x.shape[..<axis].reduce(1, *)
    let extent = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let y = Tensor(uninitialized: x.dtype, x.shape)
    let (input, output) = (x.pointer(T.self), y.pointer(T.self))
    parallelFor(outer * inner, grain: 256) { item in
      let (o, i) = (item / inner, item % inner)
      let base = o * extent * inner + i
      var maximum = -T.infinity
      for e in 0..<extent { maximum = Swift.max(maximum, input[base + e * inner]) }
      if !maximum.isFinite { maximum = 0 }
      var sum = T.zero
      for e in 0..<extent { sum += T.exp(input[base + e * inner] - maximum) }
      if logarithm {
        let logSum = T.log(sum) + maximum
        for e in 0..<extent { output[base + e * inner] = input[base + e * inner] - logSum }
      } else {
        for e in 0..<extent { output[base + e * inner] = T.exp(input[base + e * inner] - maximum) / sum }
      }
    }
    return y
  }
}
