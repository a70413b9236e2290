import Foundation

/// Why a path cannot be used as the kind of thing a command writes, in words for an error
/// message; checked before long work starts, and used to explain a write that failed.
public enum PathCheck {
  /// Nil when `path` can be written as a file (a missing folder above it can be created);
  /// otherwise the reason.
  public static func problemWritingFile(_ path: String) -> String? {
    if isDirectory(path) == true { return "is a directory, expected a file to write" }
    return problemWithAncestors(of: path)
  }

  /// Nil when `path` is a folder or can be created as one; otherwise the reason.
  public static func problemCreatingFolder(_ path: String) -> String? {
    if isDirectory(path) == false { return "is a file, expected a folder" }
    return problemWithAncestors(of: path)
  }

  /// A write's failure, explained by the path when it can be, by the system's message otherwise.
  static func writeFailure(_ path: String, _ error: any Error) -> String {
    problemWritingFile(path).map { "cannot write: \($0)" } ?? "cannot write: \(fileErrorReason(error))"
  }

  /// The nearest existing folder above `path` must be a folder, and writable.
  private static func problemWithAncestors(of path: String) -> String? {
    var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
    while isDirectory(ancestor.path) == nil && ancestor.path != "/" { ancestor.deleteLastPathComponent() }
    if isDirectory(ancestor.path) == false { return "\(ancestor.path) is a file, not a folder" }
    if !FileManager.default.isWritableFile(atPath: ancestor.path) { return "permission denied: cannot write in \(ancestor.path)" }
    return nil
  }

  /// True for a folder, false for a file, nil when nothing is there.
  private static func isDirectory(_ path: String) -> Bool? {
    var directory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &directory) else { return nil }
    return directory.boolValue
  }
}
