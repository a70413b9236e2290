import Foundation

/// Graphviz's `dot`, run as a subprocess when it is installed.
public enum Graphviz {
  /// The `dot` executable on PATH, if any.
  public static let executable: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// Renders a .dot file to SVG; false (no error) when dot is not installed, an error naming the
  /// file when dot fails.
  public static func renderSVG(dotFile: String, to svgFile: String) throws(CompileError) -> Bool {
    guard let executable else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-Tsvg", dotFile, "-o", svgFile]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { throw CompileError("cannot run \(executable): \(error.localizedDescription)") }
    let detail = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CompileError("dot failed to render \(svgFile): \(String(decoding: detail, as: UTF8.self))")
    }
    return true
  }
}
