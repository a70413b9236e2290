import Foundation
import IR
import Tensor

/// NumPy's .npy format (version 1.0, little-endian, C order).
public enum NumPy {
  static let descriptors: [DType: String] = [.f32: "<f4", .f64: "<f8", .f16: "<f2", .i64: "<i8", .i32: "<i4", .bool: "|b1"]

  public static func write(_ tensor: Tensor, to path: String) throws(FormatError) {
    guard let descriptor = descriptors[tensor.dtype] else { throw FormatError(path, ".npy has no \(tensor.dtype) type; cast first") }
    let shapeText = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(header.utf8))
    data.append(Data(bytes: tensor.storage.data, count: tensor.byteCount))
    try FileIO.writeAtomically(data, to: path)
  }

  public static func read(_ path: String) throws(FormatError) -> Tensor {
    let data = try FileIO.read(path)
    guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw FormatError(path, "not a .npy file (bad magic)") }
    let major = data[data.startIndex + 6]
    let lengthBytes = major == 1 ? 2 : 4
    guard data.count >= 8 + lengthBytes else { throw FormatError(path, "truncated .npy header") }
    var headerLength = 0
    for index in 0..<lengthBytes { headerLength |= Int(data[data.startIndex + 8 + index]) << (8 * index) }
    let start = 8 + lengthBytes
    guard data.count >= start + headerLength, let header = String(data: data.subdata(in: start..<(start + headerLength)), encoding: .ascii) else {
      throw FormatError(path, "truncated .npy header")
    }
    guard let descriptor = field("descr", in: header), let dtype = descriptors.first(where: { $0.value == descriptor })?.key else {
      throw FormatError(path, "unsupported .npy dtype in header \(header)")
    }
    guard !header.contains("'fortran_order': True") else { throw FormatError(path, "Fortran-order .npy files are not supported") }
    guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
      throw FormatError(path, "no shape in .npy header")
    }
    let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let tensor = Tensor(uninitialized: dtype, shape)
    guard data.count - start - headerLength >= tensor.byteCount else { throw FormatError(path, "truncated .npy data") }
    data.withUnsafeBytes { raw in tensor.storage.data.copyMemory(from: raw.baseAddress! + start + headerLength, byteCount: tensor.byteCount) }
    return tensor
  }

  private static func field(_ name: String, in header: String) -> String? {
    guard let key = header.range(of: "'\(name)': '"), let end = header[key.upperBound...].firstIndex(of: "'") else { return nil }
    return String(header[key.upperBound..<end])
  }
}
