import Foundation
import IR
import Tensor

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
public enum Safetensors {
  static let dtypeNames: [String: DType] = ["F32": .f32, "F16": .f16, "BF16": .bf16, "F64": .f64, "I64": .i64, "I32": .i32, "BOOL": .bool]

  /// Every tensor in the file, by name. Each problem is reported with the file and tensor named.
  public static func read(_ path: String) throws(FormatError) -> [String: Tensor] {
    try parse(try FileIO.read(path, mapped: true), path: path)
  }

  /// The tensors of a safetensors file's bytes; `path` names the file in errors.
  public static func parse(_ bytes: Data, path: String) throws(FormatError) -> [String: Tensor] {
    let data = bytes.startIndex == 0 ? bytes : Data(bytes)
    guard data.count >= 8 else { throw FormatError(path, "truncated safetensors file: \(data.count) bytes, the header length alone needs 8") }
    let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard headerLength <= UInt64(data.count - 8) else {
      throw FormatError(path, "truncated or corrupt safetensors file: header length \(headerLength) exceeds the \(data.count - 8) bytes after it")
    }
    let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
    guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
      throw FormatError(path, "corrupt safetensors file: the header is not a JSON object")
    }
    let payloadStart = 8 + Int(headerLength)
    let payloadSize = data.count - payloadStart
    var tensors: [String: Tensor] = [:]
    for (name, entry) in header where name != "__metadata__" {
      guard let fields = entry as? [String: Any], let dtypeName = fields["dtype"] as? String,
        let shape = (fields["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), shape.count == (fields["shape"] as? [Any])?.count,
        let offsets = (fields["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2
      else { throw FormatError(path, "corrupt safetensors header entry for '\(name)'") }
      guard let dtype = dtypeNames[dtypeName] else { throw FormatError(path, "tensor '\(name)' has dtype \(dtypeName), which asrc does not read") }
      guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1] else {
        throw FormatError(path, "tensor '\(name)' has an invalid shape \(shape) or byte range \(offsets)")
      }
      let (count, overflow) = shape.reduce((1, false)) { partial, dim in
        let (value, didOverflow) = partial.0.multipliedReportingOverflow(by: dim)
        return (value, partial.1 || didOverflow)
      }
      let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard !overflow, !byteOverflow, offsets[1] - offsets[0] == byteCount else {
        throw FormatError(path, "tensor '\(name)' declares shape \(shape) (\(dtype)) but \(offsets[1] - offsets[0]) bytes")
      }
      guard offsets[1] <= payloadSize else {
        throw FormatError(path, "truncated safetensors file: tensor '\(name)' ends at byte \(offsets[1]) of a \(payloadSize)-byte payload")
      }
      let tensor = Tensor(uninitialized: dtype, shape)
      data.withUnsafeBytes { raw in
        tensor.storage.data.copyMemory(from: raw.baseAddress! + payloadStart + offsets[0], byteCount: tensor.byteCount)
      }
      tensors[name] = tensor
    }
    return tensors
  }

  /// Writes tensors sorted by name, with optional string metadata, atomically.
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws(FormatError) {
    let names = tensors.keys.sorted()
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for name in names {
      let tensor = tensors[name]!
      let dtypeName = dtypeNames.first { $0.value == tensor.dtype }!.key
      header[name] = ["dtype": dtypeName, "shape": tensor.shape, "data_offsets": [offset, offset + tensor.byteCount]] as [String: Any]
      offset += tensor.byteCount
    }
    var headerData: Data
    do { headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) } catch {
      throw FormatError(path, "cannot encode the safetensors header: \(fileErrorReason(error))")
    }
    // Pad the header with spaces so that the data starts 8-byte aligned.
    while headerData.count % 8 != 0 { headerData.append(0x20) }
    var data = Data(capacity: 8 + headerData.count + offset)
    withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(headerData)
    for name in names {
      let tensor = tensors[name]!
      data.append(Data(bytes: tensor.storage.data, count: tensor.byteCount))
    }
    try FileIO.writeAtomically(data, to: path)
  }
}
