import ArgumentParser
import Formats
import Foundation
import Formats
import IR

/// Reading and writing files for the commands, with errors that name the file and the reason.
enum IRFile {
  static func readText(_ path: String) throws(CommandFailure) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      throw CommandFailure("cannot read \(path): \(exists ? (isDirectory.boolValue ? "it is a directory" : "permission denied") : "no such file")")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure("cannot read \(path): it is not UTF-8 text") }
    return text
  }

  /// Parses and verifies an IR file, printing every diagnostic on failure.
  static func load(_ path: String) throws(CommandFailure) -> Graph {
    let text = try readText(path)
    do {
      return try Parser.parseAndVerify(text, file: path)
    } catch {
      throw CommandFailure(error.description, isDiagnostic: true)
    }
  }

  /// Writes through a temporary file and a rename, so a failed write never leaves half a file.
  static func write(_ text: String, to path: String) throws(CommandFailure) {
    try checkWritable(path)
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
      throw CommandFailure("cannot write \(path): \(reason(error))")
    }
  }

  /// Fails before any work when `path` cannot be written as a file (a directory, or below a file).
  static func checkWritable(_ path: String) throws(CommandFailure) {
    if let problem = PathCheck.problemWritingFile(path) { throw CommandFailure("cannot write \(path): \(problem)") }
  }

  /// Fails before any work when `path` cannot be a folder to write into.
  static func checkFolder(_ path: String) throws(CommandFailure) {
    if let problem = PathCheck.problemCreatingFolder(path) { throw CommandFailure("\(path): \(problem)") }
  }
}

/// Checks, before any work, that `path` can be written as a file, naming the option it came from.
func checkWritableFile(_ path: String, option: String) throws(CommandFailure) {
  if let problem = PathCheck.problemWritingFile(path) { throw CommandFailure("\(option) \(path): \(problem)") }
}

/// An error in words, whatever threw it (see `fileErrorReason`).
func reason(_ error: any Error) -> String {
  if let failure = error as? CommandFailure { return failure.message }
  return fileErrorReason(error)
}

/// A command's failure: a message for standard error and a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
  var message: String
  /// Already formatted as `file:line:col: error: ...` lines.
  var isDiagnostic = false
  init(_ message: String, isDiagnostic: Bool = false) {
    self.message = message
    self.isDiagnostic = isDiagnostic
  }
  var description: String { message }
}

/// Runs a command body, turning any failure into one `asrc: error: …` line on standard error
/// and exit status 1 (an ExitCode passes through unchanged).
func reportingFailures(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let exit as ExitCode {
    throw exit
  } catch let failure as CommandFailure {
    FileHandle.standardError.write(Data(((failure.isDiagnostic ? "" : "asrc: error: ") + failure.message + "\n").utf8))
    throw ExitCode.failure
  } catch {
    FileHandle.standardError.write(Data("asrc: error: \(reason(error))\n".utf8))
    throw ExitCode.failure
  }
}
