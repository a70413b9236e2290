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
    try parse(try FileIO.read(path), path: path)
  }

  /// The tensor of a .npy file's bytes (versions 1 to 3); `path` names the file in errors.
  public static func parse(_ bytes: Data, path: String) throws(FormatError) -> Tensor {
    let data = bytes.startIndex == 0 ? bytes : Data(bytes)
    guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw FormatError(path, "not a .npy file (bad magic)") }
    let major = data[6]
    guard (1...3).contains(major) else { throw FormatError(path, "unsupported .npy format version \(major)") }
    let lengthBytes = major == 1 ? 2 : 4
    guard data.count >= 8 + lengthBytes else { throw FormatError(path, "truncated .npy header") }
    var headerLength = 0
    for index in 0..<lengthBytes { headerLength |= Int(data[8 + index]) << (8 * index) }
    let start = 8 + lengthBytes
    guard data.count - start >= headerLength, let header = String(data: data.subdata(in: start..<(start + headerLength)), encoding: .ascii) else {
      throw FormatError(path, "truncated .npy header")
    }
    guard let descriptor = field("descr", in: header), let dtype = descriptors.first(where: { $0.value == descriptor })?.key else {
      throw FormatError(path, "unsupported .npy dtype in header \(header)")
    }
    guard !header.contains("'fortran_order': True") else { throw FormatError(path, "Fortran-order .npy files are not supported") }
    let shape = try self.shape(in: header, path: path)
    let (count, overflow) = shape.reduce((1, false)) { partial, dim in
      let (value, didOverflow) = partial.0.multipliedReportingOverflow(by: dim)
      return (value, partial.1 || didOverflow)
    }
    let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow, !byteOverflow, data.count - start - headerLength >= byteCount else {
      throw FormatError(path, "truncated .npy data: shape \(shape) (\(dtype)) needs more than the \(data.count - start - headerLength) bytes after the header")
    }
    let tensor = Tensor(uninitialized: dtype, shape)
    if byteCount > 0 {
      data.withUnsafeBytes { raw in tensor.storage.data.copyMemory(from: raw.baseAddress! + start + headerLength, byteCount: byteCount) }
    }
    return tensor
  }

  /// The `'shape': (…)` tuple: non-negative integers only.
  private static func shape(in header: String, path: String) throws(FormatError) -> [Int] {
    guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
      throw FormatError(path, "no shape in .npy header")
    }
    let inner = header[open.upperBound..<close].trimmingCharacters(in: .whitespaces)
    // "()" is a scalar; "(3,)" ends with an empty entry.
    var entries = inner.isEmpty ? [] : inner.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    if entries.count > 1 && entries.last == "" { entries.removeLast() }
    var shape: [Int] = []
    for text in entries {
      guard let dimension = Int(text), dimension >= 0 else { throw FormatError(path, "bad .npy shape entry '\(text)' in header \(header)") }
      shape.append(dimension)
    }
    return shape
  }

  private static func field(_ name: String, in header: String) -> String? {
    guard let key = header.range(of: "'\(name)': '"), let end = header[key.upperBound...].firstIndex(of: "'") else { return nil }
    return String(header[key.upperBound..<end])
  }
}
