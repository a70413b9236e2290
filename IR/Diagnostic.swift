/// An error found in IR: where it is, which op it concerns, and why, in one line.
///
/// Prints as `FILE:LINE:COLUMN: error: OP: reason`, the form compilers and editors understand.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
  public var file: String?
  public var location: SourceLocation?
  /// The op the error concerns, if any.
  public var op: String?
  /// The value the error concerns, when there is no location (graphs built in Swift).
  public var value: String?
  public var message: String

  public init(file: String? = nil, location: SourceLocation? = nil, op: String? = nil, value: String? = nil, message: String) {
    self.file = file
    self.location = location
    self.op = op
    self.value = value
    self.message = message
  }

  public func inFile(_ path: String) -> Diagnostic {
    var copy = self
    copy.file = path
    return copy
  }

  public var description: String {
    var prefix = file ?? "<graph>"
    if let location { prefix += ":\(location.line):\(location.column)" }
    var text = "\(prefix): error: "
    if let op { text += "\(op): " }
    if location == nil, let value { text += "in %\(value): " }
    return text + message
  }
}

/// Several diagnostics at once (the verifier reports every error it finds).
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
  public var diagnostics: [Diagnostic]
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
