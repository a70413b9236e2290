import Formats

/// TFRecord framing, the layout of TensorBoard's event files: each record is its length (uint64,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the
/// data.
public enum TFRecord {
  public static func frame(_ data: [UInt8]) -> [UInt8] {
    let length = littleEndianBytes(UInt64(data.count))
    return length + littleEndianBytes(CRC32C.masked(length)) + data + littleEndianBytes(CRC32C.masked(data))
  }

  /// The records of a file's bytes, every checksum verified; `path` names the file in errors.
  public static func records(in bytes: [UInt8], path: String) throws(FormatError) -> [[UInt8]] {
    var records: [[UInt8]] = []
    var offset = 0
    while offset < bytes.count {
      guard bytes.count - offset >= 12 else { throw FormatError(path, "record \(records.count + 1) at byte \(offset) is cut short in its header") }
      let header = Array(bytes[offset..<offset + 8])
      guard readLittleEndian(bytes, at: offset + 8, as: UInt32.self) == CRC32C.masked(header) else {
        throw FormatError(path, "record \(records.count + 1) at byte \(offset): the length's checksum does not match")
      }
      let length = readLittleEndian(bytes, at: offset, as: UInt64.self)
      let start = offset + 12
      guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
        throw FormatError(path, "record \(records.count + 1) at byte \(offset) is cut short: \(length) bytes announced, \(bytes.count - start) left")
      }
      let data = Array(bytes[start..<start + Int(length)])
      guard readLittleEndian(bytes, at: start + Int(length), as: UInt32.self) == CRC32C.masked(data) else {
        throw FormatError(path, "record \(records.count + 1) at byte \(offset): the data's checksum does not match")
      }
      records.append(data)
      offset = start + Int(length) + 4
    }
    return records
  }

  static func littleEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
    (0..<Value.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
  }

  private static func readLittleEndian<Value: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: Value.Type) -> Value {
    (0..<Value.bitWidth / 8).reduce(Value.zero) { value, index in value | Value(bytes[offset + index]) << (index * 8) }
  }
}
