import Training

/// Reads the `Event` messages asrc writes back from their bytes: a protocol-buffer wire-format
/// reader independent of the encoder under test, checked against what TensorBoard's reader
/// read from the reference file.
struct EventDecodingError: Error, CustomStringConvertible {
  var description: String
}

/// One message's fields in order: (field number, varint or fixed value, or bytes).
struct WireFields {
  enum Value {
    case integer(UInt64)
    case bytes([UInt8])
  }
  var fields: [(number: Int, value: Value)] = []

  init(_ bytes: [UInt8]) throws {
    var offset = 0
    func varint() throws -> UInt64 {
      var result: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard offset < bytes.count, shift < 64 else { throw EventDecodingError(description: "a varint runs past the end at byte \(offset)") }
        let byte = bytes[offset]
        offset += 1
        result |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return result }
        shift += 7
      }
    }
    func fixed(_ count: Int) throws -> UInt64 {
      guard bytes.count - offset >= count else { throw EventDecodingError(description: "a fixed field runs past the end at byte \(offset)") }
      defer { offset += count }
      return (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
    while offset < bytes.count {
      let key = try varint()
      let number = Int(key >> 3)
      switch key & 7 {
      case 0: fields.append((number, .integer(try varint())))
      case 1: fields.append((number, .integer(try fixed(8))))
      case 5: fields.append((number, .integer(try fixed(4))))
      case 2:
        let length = Int(try varint())
        guard bytes.count - offset >= length else { throw EventDecodingError(description: "field \(number) runs past the end") }
        fields.append((number, .bytes(Array(bytes[offset..<offset + length]))))
        offset += length
      default: throw EventDecodingError(description: "field \(number) has wire type \(key & 7)")
      }
    }
  }

  /// The only value of field `number` (nil when absent; an error when repeated).
  func integer(_ number: Int) throws -> UInt64? {
    let values = fields.filter { $0.number == number }
    guard values.count <= 1 else { throw EventDecodingError(description: "field \(number) appears \(values.count) times") }
    guard let value = values.first?.value else { return nil }
    guard case .integer(let integer) = value else { throw EventDecodingError(description: "field \(number) is not a number") }
    return integer
  }

  func bytes(_ number: Int) throws -> [UInt8]? {
    let values = fields.filter { $0.number == number }
    guard values.count <= 1 else { throw EventDecodingError(description: "field \(number) appears \(values.count) times") }
    guard let value = values.first?.value else { return nil }
    guard case .bytes(let bytes) = value else { throw EventDecodingError(description: "field \(number) is not length-delimited") }
    return bytes
  }

  func message(_ number: Int) throws -> WireFields? { try bytes(number).map(WireFields.init) }
  func string(_ number: Int) throws -> String? { try bytes(number).map { String(decoding: $0, as: UTF8.self) } }
  var numbers: Set<Int> { Set(fields.map(\.number)) }
}

extension TensorBoardEvent {
  /// The event in `bytes`, of one of the kinds asrc writes; anything else is an error.
  init(decoding bytes: [UInt8]) throws {
    let event = try WireFields(bytes)
    let wallTime = Double(bitPattern: try event.integer(1) ?? 0)
    let step = Int64(bitPattern: try event.integer(2) ?? 0)
    if let version = try event.string(3) {
      guard let source = try event.message(10), let writer = try source.string(1) else { throw EventDecodingError(description: "a file_version event without its writer") }
      self.init(wallTime: wallTime, step: step, content: .fileVersion(version, writer: writer))
    } else if let log = try event.message(7) {
      guard try log.integer(1) == 1, log.numbers == [1] else { throw EventDecodingError(description: "a SessionLog other than START") }
      self.init(wallTime: wallTime, step: step, content: .sessionStart)
    } else if let summary = try event.message(5) {
      guard summary.fields.count == 1, let value = try summary.message(1), let tag = try value.string(1) else {
        throw EventDecodingError(description: "a summary without exactly one tagged value")
      }
      if let bits = try value.integer(2) {
        self.init(wallTime: wallTime, step: step, content: .scalar(tag: tag, value: Float(bitPattern: UInt32(bits))))
      } else if let tensor = try value.message(8), let text = try tensor.string(8) {
        let plugin = try value.message(9)?.message(1)?.string(1)
        let size = try tensor.message(2)?.message(2)?.integer(1)
        guard try tensor.integer(1) == 7, size == 1, plugin == "text" else { throw EventDecodingError(description: "\(tag): a tensor that is not a text summary") }
        self.init(wallTime: wallTime, step: step, content: .text(tag: tag, text: text))
      } else {
        throw EventDecodingError(description: "\(tag): neither a simple value nor a text")
      }
    } else {
      throw EventDecodingError(description: "an event of fields \(event.numbers.sorted())")
    }
  }
}
