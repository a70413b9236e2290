import Foundation
import Formats
import TestSupport
import Testing

/// Foundation's file errors in words: the path and what went wrong, not the
/// `Error Domain=NSCocoaErrorDomain Code=…` dump their description is.
@Suite struct FileErrorReasonTests {
  let scratch = ScratchSpace()

  @Test func foundationErrorsAreWorded() throws {
    let folder = scratch.folder("asrc-errors")
    try Data("a file".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
    let cases: [(String, () throws -> Void)] = [
      ("\(folder)/file/sub: a part of the path is a file, not a folder", { try FileManager.default.createDirectory(atPath: folder + "/file/sub", withIntermediateDirectories: true) }),
      ("\(folder)/file: it already exists", { try FileManager.default.createDirectory(atPath: folder + "/file", withIntermediateDirectories: false) }),
      ("\(folder)/missing: no such file or folder", { _ = try Data(contentsOf: URL(fileURLWithPath: folder + "/missing")) }),
      ("\(folder)/missing: no such file or folder", { try FileManager.default.removeItem(atPath: folder + "/missing") }),
    ]
    for (expected, operation) in cases {
      do {
        try operation()
        Issue.record("no error for \(expected)")
      } catch {
        #expect(fileErrorReason(error) == expected, "\(error)")
        #expect(!fileErrorReason(error).contains("Error Domain"))
      }
    }
  }
}
