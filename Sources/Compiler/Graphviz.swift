import Foundation

/// Graphviz's `dot`, run as a subprocess when it is installed.
public enum Graphviz {
  /// The `dot` executable on PATH, if any.
  public static let executable: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// What came of a rendering.
  public enum Outcome: Equatable, Sendable {
    case rendered
    case notInstalled
    /// dot ran past the time limit and was stopped: its layout of some graphs never settles
    /// (a 1,500-node stage once ran for over 12 minutes while its neighbours took seconds).
    case timedOut(seconds: Double)
  }

  /// The longest `dot` may take for one drawing (`ASRC_DOT_TIME_LIMIT` seconds, default 120).
  public static let timeLimit: Double = ProcessInfo.processInfo.environment["ASRC_DOT_TIME_LIMIT"].flatMap(Double.init) ?? 120

  /// Renders a .dot file to SVG: an error naming the file when dot fails.
  public static func renderSVG(dotFile: String, to svgFile: String, timeLimit: Double = Self.timeLimit) throws(CompileError) -> Outcome {
    guard let executable else { return .notInstalled }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-Tsvg", dotFile, "-o", svgFile]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { throw CompileError("cannot run \(executable): \(error.localizedDescription)") }
    let expired = Locked(false)
    let killer = DispatchWorkItem {
      guard process.isRunning else { return }
      expired.update { $0 = true }
      // SIGKILL: dot ignores SIGTERM while it lays a graph out.
      kill(process.processIdentifier, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: killer)
    let detail = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    if expired.value {
      try? FileManager.default.removeItem(atPath: svgFile)
      return .timedOut(seconds: timeLimit)
    }
    guard process.terminationStatus == 0 else {
      throw CompileError("dot failed to render \(svgFile): \(String(decoding: detail, as: UTF8.self))")
    }
    return .rendered
  }
}
