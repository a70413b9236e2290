import Foundation

/// One axis of the training plot: its range, linear or logarithmic, and round tick values (1, 2
/// or 5 times a power of ten, 2.5 too on linear axes), with labels in one style for the axis.
struct PlotAxis: Equatable {
  enum Kind: String { case linear, logarithmic }

  let kind: Kind
  let lower: Double
  let upper: Double
  let ticks: [Double]

  /// Linear from `lower` to the first tick at or above every value (and `minimumUpper`).
  static func linear(from lower: Double = 0, covering values: [Double], minimumUpper: Double = 0) -> PlotAxis {
    let top = Swift.max(minimumUpper, values.filter(\.isFinite).max() ?? 0, lower)
    let step = niceStep((top - lower) / 5)
    let count = Swift.max(1, Int(((top - lower) / step - 1e-9).rounded(.up)))
    let ticks = (0...count).map { lower + Double($0) * step }
    return PlotAxis(kind: .linear, lower: lower, upper: ticks.last!, ticks: ticks)
  }

  /// The step axis: from 0 to the last step exactly, ticks at whole multiples of 1, 2 or 5 times
  /// a power of ten.
  static func steps(upTo last: Double) -> PlotAxis {
    let upper = Swift.max(1, last)
    let step = Swift.max(1, niceStep(upper / 6, multiples: [1, 2, 5]))
    let ticks = stride(from: 0, through: upper + 1e-9, by: step).map { $0 }
    return PlotAxis(kind: .linear, lower: 0, upper: upper, ticks: ticks)
  }

  /// Logarithmic over the whole decades around the positive values; with at most two decades
  /// the 2s and 5s between them are ticks too.
  static func logarithmic(covering values: [Double]) -> PlotAxis {
    let positive = values.filter { $0.isFinite && $0 > 0 }
    let low = floor(log10(positive.min() ?? 1))
    let high = Swift.max(low + 1, ceil(log10(positive.max() ?? 10)))
    let multiples: [Double] = high - low <= 2 ? [1, 2, 5] : [1]
    let ticks = stride(from: low, through: high, by: 1).flatMap { exponent in multiples.map { $0 * pow(10, exponent) } }.filter { $0 <= pow(10, high) * 1.000001 }
    return PlotAxis(kind: .logarithmic, lower: pow(10, low), upper: pow(10, high), ticks: ticks)
  }

  /// The loss axis: logarithmic when the positive values span more than a decade.
  static func forLoss(_ values: [Double]) -> PlotAxis {
    let positive = values.filter { $0.isFinite && $0 > 0 }
    guard let low = positive.min(), let high = positive.max(), high > 10 * low else { return linear(covering: values) }
    return logarithmic(covering: positive)
  }

  /// The first of `multiples` times a power of ten at or above `raw`.
  static func niceStep(_ raw: Double, multiples: [Double] = [1, 2, 2.5, 5]) -> Double {
    guard raw.isFinite, raw > 0 else { return 1 }
    let power = pow(10, floor(log10(raw)))
    let fraction = raw / power
    return power * (multiples.first { fraction <= $0 + 1e-9 } ?? 10)
  }

  /// Where `value` falls between the axis's ends: 0 at `lower`, 1 at `upper`; nil for a value a
  /// logarithmic axis cannot show (zero, negative) or one that is not finite.
  func fraction(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    switch kind {
    case .linear: return (value - lower) / (upper - lower)
    case .logarithmic: return value > 0 ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) : nil
    }
  }

  /// Tick labels: powers of ten written out (`2e-4`) when the axis's values are that small or
  /// large, plain numbers otherwise (six significant digits, so that 0.1 + 0.2 reads 0.3).
  var labels: [String] {
    let largest = ticks.map(abs).max() ?? 0
    let scientific = Self.needsPowers(largest) || (kind == .logarithmic && (ticks.first ?? 1) < 1e-3)
    return ticks.map { scientific ? Self.scientific($0) : String(format: "%.6g", $0) }
  }

  /// A value on its own (a legend's last value) in the labels' style, to `digits` significant digits.
  static func format(_ value: Double, digits: Int = 4) -> String {
    guard value.isFinite else { return "\(value)" }
    return needsPowers(abs(value)) ? scientific(value, digits: digits) : String(format: "%.\(digits)g", value)
  }

  private static func needsPowers(_ magnitude: Double) -> Bool { magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-2) }

  private static func scientific(_ value: Double, digits: Int = 3) -> String {
    guard value != 0 else { return "0" }
    var exponent = Int(floor(log10(abs(value))))
    var mantissa = String(format: "%.\(digits)g", value / pow(10, Double(exponent)))
    // 9.9996 rounds up to the next power.
    if mantissa == "10" || mantissa == "-10" {
      mantissa = value < 0 ? "-1" : "1"
      exponent += 1
    }
    return mantissa + "e\(exponent)"
  }
}
