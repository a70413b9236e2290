import Foundation
import IR

/// Where a graph loses precision: every node's result against the same node computed in f64
/// (the graph after `widen-to-f64`), on the same inputs and parameters.
///
/// Each node gets its relative L2 error against the f64 value and the error it introduced
/// itself: its error divided by the largest error among its operands. A kernel that rounds
/// well passes its operands' error through (gain near 1) or adds about one rounding (an
/// error near 1e-7 for f32); a long float32 sum or a cancelling norm shows up as a node whose
/// gain is large. Every value of the f64 run is kept until compared, so this is for small
/// models and short clips.
public struct PrecisionReport: Sendable {
  public struct Entry: Sendable {
    public var value: String
    public var op: Op
    public var shape: [Int]
    /// ||x - x64|| / ||x64||; nil where the exact value vanishes (an attention key bias's
    /// gradient, say) and what was computed is rounding noise with no relative size.
    public var error: Double?
    /// `error` over the largest operand error, or over half a float32 ulp when the operands are
    /// exact (inputs and parameters are: the f64 run gets them widened exactly).
    public var gain: Double
    public var id: ValueID
  }

  /// In node order.
  public var entries: [Entry]

  /// Runs `graph` and `reference` (the same graph widened to f64) and compares every node.
  public static func measure(
    _ graph: Graph, reference: Graph, inputs: [String: Tensor], parameters: [String: Tensor]
  ) throws -> PrecisionReport {
    let exact = ValueStore()
    let wide = { (tensor: Tensor) in tensor.dtype.isFloatingPoint ? Tensor(tensor.doubles, shape: tensor.shape) : tensor }
    _ = try Interpreter(observer: { node, value in exact.keep(node.result, value) })
      .run(reference, inputs: inputs.mapValues(wide), parameters: parameters.mapValues(wide))
    let report = EntryStore()
    _ = try Interpreter(observer: { node, value in
      guard value.dtype.isFloatingPoint, let truth = exact.take(node.result) else { return }
      report.add(node, graph: graph, error: relativeError(value.doubles, truth.doubles), shape: value.shape)
    }).run(graph, inputs: inputs, parameters: parameters)
    return PrecisionReport(entries: report.entries)
  }

  /// The `count` nodes that add the most error and the `count` least accurate outputs, as a table.
  public func table(worst count: Int, outputs: [GraphOutput]) -> String {
    let outputNames = Dictionary(outputs.map { ($0.value, $0.name) }, uniquingKeysWith: { first, _ in first })
    let format = { (entry: Entry) in
      let figures = entry.error.map { String(format: "%10.2e %10.2e  ", $0, entry.gain) } ?? "  vanishes            "
      return figures + "\(entry.op.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) %\(entry.value) \(entry.shape)" + (outputNames[entry.id].map { " output \($0)" } ?? "")
    }
    var lines = ["     error       gain  op                   value", "-- the \(count) nodes with the largest gain --"]
    lines += entries.filter { $0.error != nil }.sorted { $0.gain > $1.gain }.prefix(count).map(format)
    let ids = Set(outputs.map(\.value))
    let outputEntries = entries.filter { ids.contains($0.id) }
    lines.append("-- the \(Swift.min(count, outputEntries.count)) least accurate of \(outputEntries.count) outputs --")
    lines += outputEntries.sorted { ($0.error ?? -1) > ($1.error ?? -1) }.prefix(count).map(format)
    let vanishing = outputEntries.filter { $0.error == nil }
    if !vanishing.isEmpty { lines.append("exactly zero in f64 (not ranked): " + vanishing.map { outputNames[$0.id] ?? "%\($0.value)" }.joined(separator: ", ")) }
    return lines.joined(separator: "\n")
  }
}

/// nil when the exact value is below a millionth of the computed one: a value that vanishes in
/// exact arithmetic, whose computed value is rounding noise.
private func relativeError(_ actual: [Double], _ truth: [Double]) -> Double? {
  var difference = 0.0
  var norm = 0.0
  var actualNorm = 0.0
  for (a, b) in zip(actual, truth) {
    difference += (a - b) * (a - b)
    norm += b * b
    actualNorm += a * a
  }
  if norm.squareRoot() < 1e-6 * actualNorm.squareRoot() { return nil }
  return norm > 0 ? (difference / norm).squareRoot() : 0
}

/// The f64 run's values by id, each dropped once compared.
private final class ValueStore: @unchecked Sendable {
  private var values: [ValueID: Tensor] = [:]
  func keep(_ id: ValueID, _ value: Tensor) { values[id] = value }
  func take(_ id: ValueID) -> Tensor? { values.removeValue(forKey: id) }
}

private final class EntryStore: @unchecked Sendable {
  var entries: [PrecisionReport.Entry] = []
  var errors: [ValueID: Double] = [:]

  func add(_ node: Node, graph: Graph, error: Double?, shape: [Int]) {
    errors[node.result] = error
    let inherited = node.operands.compactMap { errors[$0] }.max() ?? 0
    let gain = (error ?? 0) / Swift.max(inherited, Double(Float.ulpOfOne) / 2)
    entries.append(.init(value: graph.name(of: node.result), op: node.op, shape: shape, error: error, gain: gain, id: node.result))
  }
}
