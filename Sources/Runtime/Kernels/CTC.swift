import IR
import RealModule

/// Connectionist temporal classification, in log space with Double accumulators: the loss by
/// the forward (alpha) recursion and its gradient by alpha-beta, following
/// torch.nn.functional.ctc_loss. Labels below zero are padding and skipped.
enum CTCKernels {
  struct Options {
    var blank: Int
    var reduction: String
    var zeroInfinity: Bool

    init(_ attributes: Attributes) throws {
      blank = try attributes.int("blank")
      reduction = try attributes.string("reduction")
      zeroInfinity = try attributes.bool("zero_infinity")
    }
  }

  /// One sample's problem: its frames, its label sequence and the log-probabilities.
  private struct Sample {
    var frames: Int
    var labels: [Int]
    var logProbs: (Int, Int) -> Double  // (t, class)

    var extendedCount: Int { 2 * labels.count + 1 }
    func extended(_ s: Int, blank: Int) -> Int { s % 2 == 0 ? blank : labels[s / 2] }
  }

  private static func logAdd(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return Swift.max(a, b) + (-Swift.abs(a - b)).exp1p
  }

  /// alpha[t][s] (row-major, frames × extended), with lp included at t.
  private static func alphas(_ sample: Sample, blank: Int) -> [Double] {
    let (frames, count) = (sample.frames, sample.extendedCount)
    var alpha = [Double](repeating: -.infinity, count: Swift.max(frames * count, 1))
    guard frames > 0 else { return alpha }
    alpha[0] = sample.logProbs(0, blank)
    if count > 1 { alpha[1] = sample.logProbs(0, sample.labels[0]) }
    for t in 1..<frames {
      for s in 0..<count {
        let symbol = sample.extended(s, blank: blank)
        var total = alpha[(t - 1) * count + s]
        if s >= 1 { total = logAdd(total, alpha[(t - 1) * count + s - 1]) }
        if s >= 2 && symbol != blank && symbol != sample.extended(s - 2, blank: blank) {
          total = logAdd(total, alpha[(t - 1) * count + s - 2])
        }
        alpha[t * count + s] = total == -.infinity ? -.infinity : total + sample.logProbs(t, symbol)
      }
    }
    return alpha
  }

  private static func betas(_ sample: Sample, blank: Int) -> [Double] {
    let (frames, count) = (sample.frames, sample.extendedCount)
    var beta = [Double](repeating: -.infinity, count: Swift.max(frames * count, 1))
    guard frames > 0 else { return beta }
    let last = frames - 1
    beta[last * count + count - 1] = sample.logProbs(last, sample.extended(count - 1, blank: blank))
    if count > 1 { beta[last * count + count - 2] = sample.logProbs(last, sample.extended(count - 2, blank: blank)) }
    for t in stride(from: frames - 2, through: 0, by: -1) {
      for s in 0..<count {
        let symbol = sample.extended(s, blank: blank)
        var total = beta[(t + 1) * count + s]
        if s + 1 < count { total = logAdd(total, beta[(t + 1) * count + s + 1]) }
        if s + 2 < count && symbol != blank && symbol != sample.extended(s + 2, blank: blank) {
          total = logAdd(total, beta[(t + 1) * count + s + 2])
        }
        beta[t * count + s] = total == -.infinity ? -.infinity : total + sample.logProbs(t, symbol)
      }
    }
    return beta
  }

  private static func negativeLogLikelihood(_ sample: Sample, alpha: [Double]) -> Double {
    let count = sample.extendedCount
    guard sample.frames > 0 else { return .infinity }
    let last = (sample.frames - 1) * count
    var total = alpha[last + count - 1]
    if count > 1 { total = logAdd(total, alpha[last + count - 2]) }
    return -total
  }

  /// Reads the samples, checking lengths and label ids as torch does.
  private static func samples(_ logProbs: Tensor, _ inputLengths: Tensor, _ labels: Tensor) throws -> [Sample] {
    let (batch, frames, classes) = (logProbs.shape[0], logProbs.shape[1], logProbs.shape[2])
    let lengths = inputLengths.int64s
    let labelValues = labels.int64s
    let labelWidth = labels.shape[1]
    let values = logProbs.doubles
    return try (0..<batch).map { b in
      let length = Int(lengths[b])
      guard length >= 0 && length <= frames else {
        throw InterpreterError.invalidValue("ctc_loss: input length \(length) of sample \(b) is outside 0...\(frames)")
      }
      let row = labelValues[(b * labelWidth)..<((b + 1) * labelWidth)].filter { $0 >= 0 }.map { Int($0) }
      if let bad = row.first(where: { $0 >= classes }) {
        throw InterpreterError.invalidValue("ctc_loss: label \(bad) in sample \(b) is not below the \(classes) classes")
      }
      let base = b * frames * classes
      return Sample(frames: length, labels: row, logProbs: { t, c in values[base + t * classes + c] })
    }
  }

  private static func scale(_ b: Int, _ sample: Sample, batch: Int, options: Options) -> Double {
    switch options.reduction {
    case "mean": 1 / Double(Swift.max(sample.labels.count, 1)) / Double(batch)
    default: 1
    }
  }

  static func loss(_ logProbs: Tensor, _ inputLengths: Tensor, _ labels: Tensor, attributes: Attributes, outputShape: [Int]) throws -> Tensor {
    let options = try Options(attributes)
    let problems = try samples(logProbs, inputLengths, labels)
    var losses = [Double](repeating: 0, count: problems.count)
    losses.withUnsafeMutableBufferPointer { out in
      parallelFor(problems.count, grain: 1) { b in
        let nll = negativeLogLikelihood(problems[b], alpha: alphas(problems[b], blank: options.blank))
        out[b] = options.zeroInfinity && nll.isInfinite ? 0 : nll
      }
    }
    let y = Tensor(uninitialized: logProbs.dtype, outputShape)
    let reduced: [Double]
    switch options.reduction {
    case "none": reduced = losses
    case "sum": reduced = [losses.reduce(0, +)]
    default:
      reduced = [zip(losses, problems).map { $0 / Double(Swift.max($1.labels.count, 1)) }.reduce(0, +) / Double(Swift.max(problems.count, 1))]
    }
    for (index, value) in reduced.enumerated() {
      if logProbs.dtype == .f64 { y.pointer(Double.self)[index] = value } else { y.pointer(Float.self)[index] = Float(value) }
    }
    return y
  }

  /// d loss / d log_probs = -exp(log Σ_{s: ext(s) = c} alpha·beta - lp + nll), times the reduction's
  /// scale and the incoming gradient; zero past each sample's length and for infinite losses
  /// under zero_infinity.
  static func gradient(_ logProbs: Tensor, _ inputLengths: Tensor, _ labels: Tensor, _ gradLoss: Tensor, attributes: Attributes) throws -> Tensor {
    let options = try Options(attributes)
    let problems = try samples(logProbs, inputLengths, labels)
    let (frames, classes) = (logProbs.shape[1], logProbs.shape[2])
    let upstream = gradLoss.doubles
    let values = logProbs.doubles
    var grad = [Double](repeating: 0, count: logProbs.count)
    grad.withUnsafeMutableBufferPointer { out in
      parallelFor(problems.count, grain: 1) { b in
        let sample = problems[b]
        let alpha = alphas(sample, blank: options.blank)
        let nll = negativeLogLikelihood(sample, alpha: alpha)
        guard nll.isFinite else {
          if !options.zeroInfinity {
            for t in 0..<sample.frames { for c in 0..<classes { out[(b * frames + t) * classes + c] = .nan } }
          }
          return
        }
        let beta = betas(sample, blank: options.blank)
        let factor = (options.reduction == "none" ? upstream[b] : upstream[0]) * scale(b, sample, batch: problems.count, options: options)
        let count = sample.extendedCount
        var occupancy = [Double](repeating: -.infinity, count: classes)
        for t in 0..<sample.frames {
          for c in 0..<classes { occupancy[c] = -.infinity }
          for s in 0..<count {
            let symbol = sample.extended(s, blank: options.blank)
            occupancy[symbol] = logAdd(occupancy[symbol], alpha[t * count + s] + beta[t * count + s])
          }
          for c in 0..<classes where occupancy[c] != -.infinity {
            let lp = values[(b * frames + t) * classes + c]
            out[(b * frames + t) * classes + c] = -(occupancy[c] - lp + nll).exp * factor
          }
        }
      }
    }
    return logProbs.dtype == .f64 ? Tensor(grad, shape: logProbs.shape) : Tensor(grad.map { Float($0) }, shape: logProbs.shape)
  }
}

extension Double {
  /// log(1 + e^self), accurate for self <= 0.
  fileprivate var exp1p: Double { Double.log(onePlus: Double.exp(self)) }
  fileprivate var exp: Double { Double.exp(self) }
}
