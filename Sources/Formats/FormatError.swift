/// A file asrc could not read or write: the path and the reason, in one line.
public struct FormatError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var reason: String

  public init(_ path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): \(reason)" }
}
