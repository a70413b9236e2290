import Foundation
import Formats
import Synchronization

/// An event file being written in a log folder, named as TensorBoard's EventFileWriter names its
/// files (`events.out.tfevents.<seconds>.<host>.<pid>.<n>`) and opened with the file_version
/// event. Each event goes to the file in one `write` as soon as it is given, so a run that is
/// killed keeps every event it wrote.
public final class EventFileWriter {
  public let path: String
  private let descriptor: Int32
  private let clock: () -> Double

  /// Files this process has opened, the `<n>` of their names (TensorBoard's global uid).
  private static let opened = Atomic<Int>(0)

  /// Creates the folder if needed and a new event file in it. `clock` gives each event's wall
  /// time (seconds since 1970).
  public init(folder: String, writer: String = "asrc", clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws(FormatError) {
    do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
      throw FormatError(folder, "cannot create the TensorBoard log folder: \(PathCheck.problemCreatingFolder(folder) ?? fileErrorReason(error))")
    }
    self.clock = clock
    let counter = Self.opened.add(1, ordering: .relaxed).oldValue
    let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    path = folder + "/" + Self.fileName(seconds: Int(clock()), host: Self.hostName, process: Int(getpid()), counter: counter, after: existing)
    // O_EXCL: an existing file (another writer's) is never written over.
    descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw FormatError(path, "cannot create the event file: \(Self.reason(errno))") }
    try write(.fileVersion("brain.Event:2", writer: writer), step: 0)
  }

  deinit { close(descriptor) }

  public func write(_ content: TensorBoardEvent.Content, step: Int) throws(FormatError) {
    let record = TFRecord.frame(TensorBoardEvent(wallTime: clock(), step: Int64(step), content: content).encoded)
    var written = 0
    while written < record.count {
      let count = record[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { throw FormatError(path, "cannot write an event: \(Self.reason(errno))") }
      written += count
    }
  }

  /// TensorBoard reads a folder's event files in the order of their names and never goes back to
  /// an earlier one, so a new file must sort after every file already there: when one has this
  /// second or a later one in its name (a resumed run starting within the second the killed run
  /// started, or a clock set back), the seconds are taken past it.
  static func fileName(seconds: Int, host: String, process: Int, counter: Int, after existing: [String]) -> String {
    let prefix = "events.out.tfevents."
    var seconds = seconds
    func name() -> String { prefix + String(format: "%010d", seconds) + ".\(host).\(process).\(counter)" }
    guard let latest = existing.filter({ $0.hasPrefix(prefix) }).max(), name() <= latest else { return name() }
    seconds = Swift.max(seconds, Int(latest.dropFirst(prefix.count).prefix(10)) ?? seconds) + 1
    // A name in another layout: step on, a bounded number of times.
    for _ in 0..<1000 where name() <= latest { seconds += 1 }
    return name()
  }

  /// The host's name as Python's socket.gethostname() gives it (the name TensorBoard's writer
  /// and transformers' default logging folder use).
  static let hostName: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()

  private static func reason(_ code: Int32) -> String { fileErrorReason(NSError(domain: NSPOSIXErrorDomain, code: Int(code))) }
}
