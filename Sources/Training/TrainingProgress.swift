import Foundation

/// Progress on a terminal (one line redrawn: step, loss, seconds per step, ETA) or plain log
/// lines when standard output is not a terminal.
final class TrainingProgress {
  let totalSteps: Int
  let interactive = isatty(STDOUT_FILENO) != 0
  private var recentSeconds: [Double] = []
  private var drawn = false

  init(totalSteps: Int) { self.totalSteps = totalSteps }

  func update(step: Int, loss: Double, seconds: Double, audioSeconds: Double) {
    recentSeconds.append(seconds)
    if recentSeconds.count > 20 { recentSeconds.removeFirst() }
    guard interactive else { return }
    let perStep = recentSeconds.reduce(0, +) / Double(recentSeconds.count)
    let remaining = perStep * Double(totalSteps - step)
    let width = 24
    let filled = Int(Double(width) * Double(step) / Double(Swift.max(totalSteps, 1)))
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let line = String(format: "\r%@ step %d/%d  loss %.4f  %.2f s/step  ETA %@ ", bar, step, totalSteps, loss, perStep, Self.clock(remaining))
    FileHandle.standardOutput.write(Data(line.utf8))
    drawn = true
  }

  /// ", ETA h:mm:ss" for log lines when no progress bar shows it (standard output is not a
  /// terminal), else "".
  func remainingSuffix(step: Int) -> String {
    guard !interactive, !recentSeconds.isEmpty else { return "" }
    let perStep = recentSeconds.reduce(0, +) / Double(recentSeconds.count)
    return ", ETA " + Self.clock(perStep * Double(Swift.max(totalSteps - step, 0)))
  }

  func log(_ message: String) {
    if drawn {
      FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
      drawn = false
    }
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
  }

  func finish() {
    if drawn { FileHandle.standardOutput.write(Data("\n".utf8)) }
    drawn = false
  }

  static func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
  }
}
