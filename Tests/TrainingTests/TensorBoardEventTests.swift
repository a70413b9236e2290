import Foundation
import Formats
import TestSupport
import Testing
@testable import Training

/// The event-file layout against torch's SummaryWriter (the writer transformers' TensorBoardCallback
/// uses) and TensorBoard's reader: Tests/Fixtures/tensorboard, made by
/// tools/make_tensorboard_reference.py.
@Suite struct TensorBoardEventTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/tensorboard")
  let scratch = ScratchSpace()

  func expected() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("expected.json"))) as! [String: Any]
  }

  func reference() throws -> [UInt8] { Array(try Data(contentsOf: Self.root.appendingPathComponent("events.out.tfevents.reference"))) }

  @Test func crc32cGivesTheCheckValueAndTensorBoardsChecksums() throws {
    // The CRC-32C catalogue's check value (iSCSI, RFC 3720).
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    let vectors = try expected()["crc"] as! [[String: Any]]
    #expect(vectors.count == 6)
    for vector in vectors {
      let bytes = (vector["bytes"] as! [Int]).map(UInt8.init)
      #expect(CRC32C.checksum(bytes) == (vector["crc32c"] as! NSNumber).uint32Value, "crc32c of \(bytes.count) bytes")
      #expect(CRC32C.masked(bytes) == (vector["masked"] as! NSNumber).uint32Value, "masked crc32c of \(bytes.count) bytes")
    }
  }

  @Test func framingRoundTrips() throws {
    var random = SystemRandomNumberGenerator()
    let payloads = [0, 1, 127, 128, 300, 70_000].map { count in (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
    let file = payloads.flatMap(TFRecord.frame)
    #expect(file.count == payloads.reduce(0) { $0 + $1.count + 16 })
    #expect(try TFRecord.records(in: file, path: "f") == payloads)
    // The length leads each record, little-endian: 300 = 0x012C.
    let fifth = payloads[..<4].reduce(0) { $0 + $1.count + 16 }
    #expect(Array(file[fifth..<fifth + 8]) == [0x2C, 0x01, 0, 0, 0, 0, 0, 0])
  }

  @Test func damagedRecordsAreRefusedWithTheirPlace() {
    let file = [Array("first".utf8), Array("second".utf8)].flatMap(TFRecord.frame)
    let second = 5 + 16
    var data = file
    data[second + 12] ^= 1
    #expect(throws: FormatError("f", "record 2 at byte \(second): the data's checksum does not match")) { try TFRecord.records(in: data, path: "f") }
    var length = file
    length[second] ^= 1
    #expect(throws: FormatError("f", "record 2 at byte \(second): the length's checksum does not match")) { try TFRecord.records(in: length, path: "f") }
    #expect(throws: FormatError("f", "record 2 at byte \(second) is cut short: 6 bytes announced, 7 left")) { try TFRecord.records(in: Array(file.dropLast(3)), path: "f") }
    #expect(throws: FormatError("f", "record 2 at byte \(second) is cut short in its header")) { try TFRecord.records(in: Array(file.prefix(second + 5)), path: "f") }
  }

  /// Every record of torch's file decodes to what TensorBoard's reader read from it, and encoding
  /// those events again gives the file's bytes, framing and wall times included.
  @Test func theReferenceFileRoundTrips() throws {
    let bytes = try reference()
    let events = try TFRecord.records(in: bytes, path: "reference").map(TensorBoardEvent.init(decoding:))
    let records = try expected()["records"] as! [[String: Any]]
    #expect(events.count == records.count)
    for (event, record) in zip(events, records) {
      #expect(event.wallTime.bitPattern == UInt64(bitPattern: (record["wall_time_bits"] as! NSNumber).int64Value))
      #expect(event.step == (record["step"] as! NSNumber).int64Value)
      let content: TensorBoardEvent.Content
      if let version = record["file_version"] as? String {
        content = .fileVersion(version, writer: record["source_writer"] as! String)
      } else if record["session_log_status"] != nil {
        #expect(record["session_log_status"] as? Int == 1)
        content = .sessionStart
      } else if let value = record["simple_value"] as? String {
        content = .scalar(tag: record["tag"] as! String, value: Float(Double(value)!))
      } else {
        #expect(record["plugin_name"] as? String == "text" && record["dtype"] as? Int == 7 && record["shape"] as? [Int] == [1])
        content = .text(tag: record["tag"] as! String, text: (record["string_val"] as! [String])[0])
      }
      // NaN is not equal to itself: compare the bits of scalars.
      if case .scalar(let tag, let value) = event.content, case .scalar(let expectedTag, let expectedValue) = content {
        #expect(tag == expectedTag && value.bitPattern == expectedValue.bitPattern, "\(tag) at step \(event.step): \(value), TensorBoard read \(expectedValue)")
      } else {
        #expect(event.content == content)
      }
    }
    #expect(events.contains { $0.content == .sessionStart } && events.contains { if case .text = $0.content { true } else { false } })
    #expect(events.flatMap { TFRecord.frame($0.encoded) } == bytes, "re-encoding the reference events changed their bytes")
  }

  @Test func tagsAreTheCallbacks() throws {
    let tags = try expected()["rewrite_logs"] as! [String: String]
    #expect(tags.count == 11)
    for (key, tag) in tags { #expect(TensorBoardCallback.tag(key) == tag, "\(key)") }
  }

  @Test func theDefaultFolderIsTransformers() throws {
    let reference = try expected()["default_logdir"] as! [String: String]
    // default_logdir() formats local time; the fixture's date is a local date too.
    let parts = reference["date"]!.split { "-T:".contains($0) }.map { Int($0)! }
    let date = Calendar.current.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5]))!
    let name = reference["logdir"]!.dropLast(reference["host"]!.count) + EventFileWriter.hostName
    #expect(TensorBoardCallback.defaultFolder(outputDir: "out", date: date) == "out/" + name)
  }

  @Test func aNewFileSortsAfterEveryEarlierOne() {
    let earlier = ["events.out.tfevents.1700000005.host.99.0", "events.out.tfevents.1700000003.host.7.0", "other.txt"]
    // Same second, a larger pid that sorts lower as text ("100" < "99"): the seconds move on.
    #expect(EventFileWriter.fileName(seconds: 1_700_000_005, host: "host", process: 100, counter: 0, after: earlier) == "events.out.tfevents.1700000006.host.100.0")
    #expect(EventFileWriter.fileName(seconds: 1_700_000_009, host: "host", process: 100, counter: 2, after: earlier) == "events.out.tfevents.1700000009.host.100.2")
    #expect(EventFileWriter.fileName(seconds: 12, host: "h", process: 1, counter: 0, after: []) == "events.out.tfevents.0000000012.h.1.0")
    // A clock set back a year: the name still sorts after the earlier run's.
    #expect(EventFileWriter.fileName(seconds: 1_668_464_005, host: "host", process: 5, counter: 0, after: earlier) == "events.out.tfevents.1700000006.host.5.0")
  }

  @Test func theWriterStartsWithTheFileVersionAndWritesThrough() throws {
    let folder = scratch.path("asrc-events") + "/run"
    var now = 1_780_000_000.5
    let writer = try EventFileWriter(folder: folder) {
      now += 1
      return now
    }
    try writer.write(.scalar(tag: "train/loss", value: 2.5), step: 3)
    // Read while the writer is still open: nothing waits in a buffer.
    let events = try TFRecord.records(in: Array(try Data(contentsOf: URL(fileURLWithPath: writer.path))), path: writer.path).map(TensorBoardEvent.init(decoding:))
    #expect(events == [
      TensorBoardEvent(wallTime: 1_780_000_002.5, step: 0, content: .fileVersion("brain.Event:2", writer: "asrc")),
      TensorBoardEvent(wallTime: 1_780_000_003.5, step: 3, content: .scalar(tag: "train/loss", value: 2.5)),
    ])
    #expect(writer.path.hasPrefix(folder + "/events.out.tfevents.1780000001.\(EventFileWriter.hostName).\(getpid())."))
  }

  @Test func aFolderThatCannotBeMadeIsNamed() throws {
    let file = scratch.path("asrc-events-file")
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    #expect { try EventFileWriter(folder: file + "/runs") } throws: { error in
      (error as? FormatError)?.path == file + "/runs" && "\(error)".contains("cannot create the TensorBoard log folder")
    }
  }
}
