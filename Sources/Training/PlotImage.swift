import Foundation
import Formats

/// A PNG of the training plot, drawn from its SVG by librsvg's `rsvg-convert` when it is installed
/// (Debian: librsvg2-bin), for viewers and pages that show no SVG.
public enum PlotImage {
  /// `rsvg-convert` on PATH, if any.
  public static let converter: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/rsvg-convert" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  public enum Outcome: Equatable { case written, noConverter }

  /// Draws `svgFile` into `pngFile` (written under another name and renamed into place, so that
  /// a failed drawing leaves no partial file); an error names the file and quotes the converter.
  public static func write(svgFile: String, to pngFile: String, timeLimit: Double = 60) throws(FormatError) -> Outcome {
    guard let converter else { return .noConverter }
    let partial = pngFile + ".partial"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: converter)
    process.arguments = ["--format", "png", "--output", partial, svgFile]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { throw FormatError(pngFile, "cannot run \(converter): \(fileErrorReason(error))") }
    // A drawing of this size takes well under a second; the limit only guards against a hang.
    let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: timer)
    let detail = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    timer.cancel()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      try? FileManager.default.removeItem(atPath: partial)
      let reason = process.terminationReason == .exit ? "rsvg-convert failed: \(detail.trimmingCharacters(in: .whitespacesAndNewlines))" : "rsvg-convert did not finish in \(Int(timeLimit)) s"
      throw FormatError(pngFile, reason)
    }
    do {
      if FileManager.default.fileExists(atPath: pngFile) { try FileManager.default.removeItem(atPath: pngFile) }
      try FileManager.default.moveItem(atPath: partial, toPath: pngFile)
    } catch {
      throw FormatError(pngFile, "cannot put the drawing in place: \(fileErrorReason(error))")
    }
    return .written
  }
}
