/// The protocol-buffer wire format, as far as TensorBoard's `Event` messages need it. Callers
/// write fields in field-number order, as protobuf's own serializers do, and leave out proto3
/// fields that hold their default, so that the bytes equal those of TensorBoard's writer.
struct ProtobufEncoder {
  private(set) var bytes: [UInt8] = []

  private enum WireType: UInt64 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
  }

  private mutating func key(_ field: Int, _ type: WireType) { appendVarint(UInt64(field) << 3 | type.rawValue) }

  private mutating func appendVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// int64, int32 and enum fields (negative values take ten bytes, as protobuf writes them).
  mutating func varint(_ field: Int, _ value: Int64) {
    key(field, .varint)
    appendVarint(UInt64(bitPattern: value))
  }

  mutating func double(_ field: Int, _ value: Double) {
    key(field, .fixed64)
    bytes += TFRecord.littleEndianBytes(value.bitPattern)
  }

  mutating func float(_ field: Int, _ value: Float) {
    key(field, .fixed32)
    bytes += TFRecord.littleEndianBytes(value.bitPattern)
  }

  mutating func bytes(_ field: Int, _ value: [UInt8]) {
    key(field, .lengthDelimited)
    appendVarint(UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

  /// An embedded message, built by `body` (written even when empty, as a set message field is).
  mutating func message(_ field: Int, _ body: (inout ProtobufEncoder) -> Void) {
    var inner = ProtobufEncoder()
    body(&inner)
    bytes(field, inner.bytes)
  }
}
