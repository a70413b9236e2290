import Foundation

/// File access with errors that name the file.
enum FileIO {
  static func read(_ path: String, mapped: Bool = false) throws(FormatError) -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FormatError(path, "no such file") }
    if isDirectory.boolValue { throw FormatError(path, "is a directory, expected a file") }
    do {
      return try Data(contentsOf: URL(fileURLWithPath: path), options: mapped ? .alwaysMapped : [])
    } catch {
      throw FormatError(path, "cannot read: \(fileErrorReason(error))")
    }
  }

  /// Writes through a temporary file in the same folder and a rename: readers never see half a file.
  static func writeAtomically(_ data: Data, to path: String) throws(FormatError) {
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw FormatError(path, PathCheck.writeFailure(path, error))
    }
  }

  static func json(_ path: String) throws(FormatError) -> [String: Any] {
    try jsonObject(try read(path), path: path)
  }

  /// The top-level JSON object of a file's bytes.
  static func jsonObject(_ data: Data, path: String) throws(FormatError) -> [String: Any] {
    guard !data.isEmpty else { throw FormatError(path, "is empty, expected a JSON object") }
    let object: Any
    do { object = try JSONSerialization.jsonObject(with: data) } catch {
      throw FormatError(path, "is not valid JSON (\(fileErrorReason(error)))")
    }
    guard let dictionary = object as? [String: Any] else { throw FormatError(path, "expected a JSON object at the top level") }
    return dictionary
  }

  static func writeJSON(_ object: Any, to path: String) throws(FormatError) {
    let data: Data
    do { data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) } catch {
      throw FormatError(path, "cannot encode JSON: \(fileErrorReason(error))")
    }
    try writeAtomically(data + Data("\n".utf8), to: path)
  }
}
