import Foundation

/// Standard output without stdio's buffering: `print` in this module writes each line straight
/// to the descriptor, so result lines, progress redraws (written with FileHandle) and log lines
/// appear in order when the output is piped to a file or another program.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
  let text = items.map { "\($0)" }.joined(separator: separator) + terminator
  FileHandle.standardOutput.write(Data(text.utf8))
}
