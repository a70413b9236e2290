/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF), the
/// checksum of TFRecord framing, and the masked form TensorFlow stores.
public enum CRC32C {
  /// One entry per byte value: the register after shifting that byte through it.
  private static let table: [UInt32] = (0..<256).map { byte in
    var crc = UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    return crc
  }

  public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
  }

  /// The CRC as TFRecord files store it (tensorflow/core/lib/hash/crc32c.h `Mask`): rotated right
  /// by 15 bits plus a constant, because the CRC of data that embeds its own CRCs is weak.
  public static func masked<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    let crc = checksum(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }
}
