import IR

/// Sizes for the symbols of a graph's shapes, read from `batch=8,seconds=10[,L=150]`:
/// B is the batch, S the samples (seconds × 16 kHz, as the model's `input_values: f32[B, S]`),
/// L the label length (default 15 characters a second, about LibriSpeech's rate), and any
/// other symbol by its own name.
public struct ShapeBindings: Equatable, Sendable, CustomStringConvertible {
  public var batch: Int
  public var seconds: Double
  public var others: [String: Int] = [:]

  public static let sampleRate = 16000

  public init(batch: Int, seconds: Double, others: [String: Int] = [:]) {
    self.batch = batch
    self.seconds = seconds
    self.others = others
  }

  /// Parses `batch=B,seconds=S,NAME=N…`; fields left out keep `defaults`' values.
  public init(parsing text: String, option: String, defaults: ShapeBindings) throws(CompileError) {
    self = defaults
    for field in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
      guard parts.count == 2, !parts[0].isEmpty else {
        throw CompileError("\(option) \(text): expected name=value pairs separated by commas, such as batch=8,seconds=10")
      }
      switch parts[0] {
      case "batch", "B":
        guard let value = Int(parts[1]), value > 0 else { throw CompileError("\(option): batch must be a positive integer, not \(parts[1])") }
        batch = value
      case "seconds":
        guard let value = Double(parts[1]), value > 0, value.isFinite else { throw CompileError("\(option): seconds must be a positive number, not \(parts[1])") }
        seconds = value
      default:
        guard let value = Int(parts[1]), value > 0 else { throw CompileError("\(option): \(parts[0]) must be a positive integer, not \(parts[1])") }
        others[parts[0]] = value
      }
    }
  }

  public var samples: Int { Int((seconds * Double(Self.sampleRate)).rounded()) }

  /// The value of every symbol: B, S, L (unless given) and the others.
  public var symbols: [String: Int] {
    var symbols = ["B": batch, "S": samples, "L": max(1, Int((seconds * 15).rounded()))]
    symbols.merge(others) { _, given in given }
    return symbols
  }

  public var description: String {
    var text = "batch \(batch) × \(seconds.formatted) s"
    for (name, value) in others.sorted(by: { $0.key < $1.key }) { text += ", \(name) = \(value)" }
    return text
  }
}

extension Double {
  var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

extension TensorType {
  /// Bytes of a value of this type with `symbols` bound; nil when a symbol is unbound.
  public func byteCount(_ symbols: [String: Int]) -> Int? {
    var count = dtype.byteSize
    for dim in shape {
      guard let size = dim.evaluate(symbols) else { return nil }
      count *= max(0, size)
    }
    return count
  }
}
