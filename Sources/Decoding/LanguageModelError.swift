/// A language model file asrc cannot use: the file, the line when one is to blame, and why.
public struct LanguageModelError: Error, CustomStringConvertible, Equatable, Sendable {
  public var path: String
  /// 1-based; nil when the file as a whole is the problem (empty, binary, compressed).
  public var line: Int?
  public var reason: String

  public init(_ path: String, line: Int? = nil, _ reason: String) {
    self.path = path
    self.line = line
    self.reason = reason
  }

  public var description: String {
    if let line { return "\(path): line \(line): \(reason)" }
    return "\(path): \(reason)"
  }
}
