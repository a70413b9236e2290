import Foundation
import TestSupport

/// Writes small 16-bit mono PCM WAV files for corpus tests.
enum TestAudio {
  static func writeWAV(_ path: String, seconds: Double, rate: Int = 16000, frequency: Double = 440) throws {
    let count = Int(seconds * Double(rate))
    var data = Data()
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8))
    append(UInt32(36 + count * 2))
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    append(UInt32(16))
    append(UInt16(1))
    append(UInt16(1))
    append(UInt32(rate))
    append(UInt32(rate * 2))
    append(UInt16(2))
    append(UInt16(16))
    data.append(contentsOf: Array("data".utf8))
    append(UInt32(count * 2))
    for index in 0..<count {
      let value = 0.3 * sin(2 * Double.pi * frequency * Double(index) / Double(rate))
      append(Int16(value * 32767))
    }
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: path))
  }

  static func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }
}

extension TestAudio {
  /// Runs `body` with a fresh scratch folder and removes the folder afterwards.
  static func withScratch<T>(_ body: (String) throws -> T) rethrows -> T { try withTemporaryFolder("asrc-data", body) }

  /// Writes `bytes` to `path`, or makes a folder there when `bytes` is nil (a folder where a file
  /// is expected).
  static func place(_ bytes: Data?, at path: String) throws {
    if let bytes {
      try bytes.write(to: URL(fileURLWithPath: path))
    } else {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
  }

  /// A 16-bit mono PCM WAV file's bytes with these samples.
  static func wavBytes(_ samples: [Int16], rate: Int = 16000) -> Data {
    var data = Data()
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8))
    append(UInt32(36 + samples.count * 2))
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    append(UInt32(16))
    append(UInt16(1))
    append(UInt16(1))
    append(UInt32(rate))
    append(UInt32(truncatingIfNeeded: rate * 2))
    append(UInt16(2))
    append(UInt16(16))
    data.append(contentsOf: Array("data".utf8))
    append(UInt32(samples.count * 2))
    for sample in samples { append(sample) }
    return data
  }

  /// A FLAC stream with only its STREAMINFO block and no audio frames, as
  /// `sox -n -r 16000 x.flac trim 0 0` writes it: the total-samples field is 0, which FLAC
  /// defines as "unknown", so libsndfile reports the length as SF_COUNT_MAX.
  static func emptyFLACBytes(rate: Int = 16000) -> Data {
    var data = Data("fLaC".utf8)
    data.append(contentsOf: [0x80, 0x00, 0x00, 34])  // last metadata block, STREAMINFO, 34 bytes
    data.append(contentsOf: [0x10, 0x00, 0x10, 0x00])  // min and max block size 4096
    data.append(contentsOf: [0, 0, 0, 0, 0, 0])  // min and max frame size unknown
    // 20 bits rate, 3 bits channels - 1 (mono), 5 bits bits-per-sample - 1 (15), 36 bits total samples (0).
    let packed = UInt64(rate) << 44 | UInt64(0) << 41 | UInt64(15) << 36
    for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: packed >> UInt64(shift))) }
    data.append(contentsOf: [UInt8](repeating: 0, count: 16))  // MD5 unknown
    return data
  }
}
