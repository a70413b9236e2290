import Foundation

/// Temporary folders for one test, removed when the test's suite instance is released.
///
/// Swift Testing makes a new suite instance for every test and releases it when the test ends,
/// so a suite that holds a `ScratchSpace` gets its folders cleaned up after each test.
public final class ScratchSpace: @unchecked Sendable {
  private let lock = NSLock()
  private var folders: [String] = []

  public init() {}

  /// A new, empty folder under the system's temporary directory.
  public func folder(_ label: String = "asrc-test") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    lock.withLock { folders.append(path) }
    return path
  }

  /// A path for a file or folder that does not exist yet; removed with the rest.
  public func path(_ label: String = "asrc-test") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
    lock.withLock { folders.append(path) }
    return path
  }

  deinit {
    for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
  }
}

/// Runs `body` with a new, empty temporary folder and removes the folder afterwards.
public func withTemporaryFolder<T>(_ label: String = "asrc-test", _ body: (String) throws -> T) rethrows -> T {
  let space = ScratchSpace()
  return try withExtendedLifetime(space) { try body(space.folder(label)) }
}
