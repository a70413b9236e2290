import CONNX
import Foundation
import IR
import Tensor

/// An ONNX model as asrc needs it: the graph's nodes (op, names, inputs, outputs, attributes,
/// metadata), its initializers and Constant-node tensors decoded, and its inputs and outputs.
/// Read with libprotobuf-c; every malformed or truncated file is an error naming the file.
public struct ONNXModel {
  public struct Node {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]
    public var metadata: [String: String]
  }

  public var path: String
  public var producer: String
  public var opsetVersion: Int
  public var nodes: [Node]
  /// Initializers and the values of Constant nodes, by the name nodes use.
  public var tensors: [String: Tensor]
  /// Which of `tensors` were initializers (the rest came from Constant nodes).
  public var initializerNames: Set<String>
  public var inputNames: [String]
  public var outputNames: [String]

  public static func load(_ path: String) throws(FormatError) -> ONNXModel {
    try parse(try FileIO.read(path, mapped: true), path: path)
  }

  /// A model from an ONNX file's bytes; `path` names the file in errors, and its folder is where
  /// external data is looked for.
  public static func parse(_ data: Data, path: String) throws(FormatError) -> ONNXModel {
    guard !data.isEmpty else { throw FormatError(path, "the file is empty, not an ONNX model") }
    let unpacked: UnsafeMutablePointer<Onnx__ModelProto>? = data.withUnsafeBytes { raw in
      onnx__model_proto__unpack(nil, raw.count, raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    guard let proto = unpacked else {
      throw FormatError(path, "not a valid ONNX protobuf (truncated or corrupt: libprotobuf-c could not parse a ModelProto)")
    }
    defer { onnx__model_proto__free_unpacked(proto, nil) }
    guard let graph = proto.pointee.graph else { throw FormatError(path, "the ONNX model has no graph") }
    var model = ONNXModel(
      path: path, producer: string(proto.pointee.producer_name) + " " + string(proto.pointee.producer_version), opsetVersion: 0,
      nodes: [], tensors: [:], initializerNames: [], inputNames: [], outputNames: [])
    for index in 0..<Int(proto.pointee.n_opset_import) {
      guard let opset = proto.pointee.opset_import[index] else { continue }
      let domain = string(opset.pointee.domain)
      if domain.isEmpty || domain == "ai.onnx" { model.opsetVersion = Int(opset.pointee.version) }
    }
    let folder = (path as NSString).deletingLastPathComponent
    for index in 0..<Int(graph.pointee.n_initializer) {
      guard let tensor = graph.pointee.initializer[index] else { continue }
      let name = string(tensor.pointee.name)
      model.tensors[name] = try decode(tensor, folder: folder, path: path)
      model.initializerNames.insert(name)
    }
    for index in 0..<Int(graph.pointee.n_node) {
      guard let node = graph.pointee.node[index] else { continue }
      let converted = try convert(node, folder: folder, path: path)
      if converted.opType == "Constant", let output = converted.outputs.first, case .tensor(let value)? = converted.attributes["value"] {
        model.tensors[output] = value
      }
      model.nodes.append(converted)
    }
    model.inputNames = (0..<Int(graph.pointee.n_input)).compactMap { graph.pointee.input[$0].map { string($0.pointee.name) } }
      .filter { !model.initializerNames.contains($0) }
    model.outputNames = (0..<Int(graph.pointee.n_output)).compactMap { graph.pointee.output[$0].map { string($0.pointee.name) } }
    return model
  }

  private static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  private static func convert(_ node: UnsafeMutablePointer<Onnx__NodeProto>, folder: String, path: String) throws(FormatError) -> Node {
    let proto = node.pointee
    var attributes: [String: ONNXAttribute] = [:]
    for index in 0..<Int(proto.n_attribute) {
      guard let attribute = proto.attribute[index] else { continue }
      let value = attribute.pointee
      let name = string(value.name)
      switch value.type {
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: attributes[name] = .float(Double(value.f))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: attributes[name] = .int(Int(value.i))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        attributes[name] = .string(String(decoding: UnsafeBufferPointer(start: value.s.data, count: value.s.len), as: UTF8.self))
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        attributes[name] = .ints((0..<Int(value.n_ints)).map { Int(value.ints[$0]) })
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        attributes[name] = .floats((0..<Int(value.n_floats)).map { Double(value.floats[$0]) })
      case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        if let tensor = value.t { attributes[name] = .tensor(try decode(tensor, folder: folder, path: path)) }
      default: attributes[name] = .other
      }
    }
    var metadata: [String: String] = [:]
    for index in 0..<Int(proto.n_metadata_props) {
      guard let entry = proto.metadata_props[index] else { continue }
      metadata[string(entry.pointee.key)] = string(entry.pointee.value)
    }
    return Node(
      name: string(proto.name), opType: string(proto.op_type), domain: string(proto.domain),
      inputs: (0..<Int(proto.n_input)).map { string(proto.input[$0]) }, outputs: (0..<Int(proto.n_output)).map { string(proto.output[$0]) },
      attributes: attributes, metadata: metadata)
  }

  /// A TensorProto as a host tensor: raw_data, the typed fields, or external data.
  static func decode(_ pointer: UnsafeMutablePointer<Onnx__TensorProto>, folder: String, path: String) throws(FormatError) -> Tensor {
    let proto = pointer.pointee
    let name = string(proto.name)
    let shape = (0..<Int(proto.n_dims)).map { Int(proto.dims[$0]) }
    guard shape.allSatisfy({ $0 >= 0 && $0 < (1 << 40) }) else { throw FormatError(path, "tensor '\(name)' has invalid dims \(shape)") }
    let (count, overflow) = shape.reduce((1, false)) { partial, dim in
      let (value, didOverflow) = partial.0.multipliedReportingOverflow(by: dim)
      return (value, partial.1 || didOverflow)
    }
    guard !overflow, count < (1 << 34) else { throw FormatError(path, "tensor '\(name)' is too large (\(shape))") }
    let type: (storage: DType, onnx: String)
    switch proto.data_type {
    case 1: type = (.f32, "float")
    case 10: type = (.f16, "float16")
    case 16: type = (.bf16, "bfloat16")
    case 11: type = (.f64, "double")
    case 7: type = (.i64, "int64")
    case 6: type = (.i32, "int32")
    case 9: type = (.bool, "bool")
    default: throw FormatError(path, "tensor '\(name)' has ONNX data type \(proto.data_type), which asrc does not read")
    }
    let bytes = count * type.storage.byteSize
    if proto.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
      let source = try externalData(proto, bytes: bytes, folder: folder, path: path, name: name)
      let tensor = Tensor(uninitialized: type.storage, shape)
      if bytes > 0 {
        source.data.withUnsafeBytes { raw in tensor.storage.data.copyMemory(from: raw.baseAddress! + source.offset, byteCount: bytes) }
      }
      return tensor
    }
    if proto.has_raw_data != 0 {
      guard proto.raw_data.len == bytes else {
        throw FormatError(path, "tensor '\(name)' holds \(proto.raw_data.len) bytes of raw data, its shape \(shape) (\(type.onnx)) needs \(bytes)")
      }
      let tensor = Tensor(uninitialized: type.storage, shape)
      if bytes > 0 { tensor.storage.data.copyMemory(from: proto.raw_data.data, byteCount: bytes) }
      return tensor
    }
    return try typedFields(proto, dtype: type.storage, shape: shape, count: count, path: path, name: name)
  }

  /// A tensor from the typed value fields, checked against the shape before anything is allocated.
  private static func typedFields(_ proto: Onnx__TensorProto, dtype: DType, shape: [Int], count: Int, path: String, name: String) throws(FormatError) -> Tensor {
    let found: Int
    switch dtype {
    case .f32: found = Int(proto.n_float_data)
    case .f64: found = Int(proto.n_double_data)
    case .i64: found = Int(proto.n_int64_data)
    case .i32, .f16, .bf16, .bool: found = Int(proto.n_int32_data)
    }
    guard found == count else { throw FormatError(path, "tensor '\(name)' holds \(found) values, its shape needs \(count)") }
    let tensor = Tensor(uninitialized: dtype, shape)
    switch dtype {
    case .f32:
      if count > 0 { tensor.pointer(Float.self).update(from: proto.float_data, count: count) }
    case .f64:
      if count > 0 { tensor.pointer(Double.self).update(from: proto.double_data, count: count) }
    case .i64:
      if count > 0 { tensor.pointer(Int64.self).update(from: proto.int64_data, count: count) }
    case .i32:
      if count > 0 { tensor.pointer(Int32.self).update(from: proto.int32_data, count: count) }
    case .f16, .bf16, .bool:
      // ONNX keeps 16-bit floats and bools one per int32.
      for index in 0..<count {
        if tensor.dtype == .bool {
          tensor.pointer(UInt8.self)[index] = proto.int32_data[index] != 0 ? 1 : 0
        } else {
          tensor.pointer(UInt16.self)[index] = UInt16(truncatingIfNeeded: proto.int32_data[index])
        }
      }
    }
    return tensor
  }

  /// The external file holding a tensor, and where its bytes start, checked to hold them all.
  private static func externalData(_ proto: Onnx__TensorProto, bytes: Int, folder: String, path: String, name: String) throws(FormatError) -> (data: Data, offset: Int) {
    var entries: [String: String] = [:]
    for index in 0..<Int(proto.n_external_data) {
      guard let entry = proto.external_data[index] else { continue }
      entries[string(entry.pointee.key)] = string(entry.pointee.value)
    }
    guard let location = entries["location"], !location.isEmpty else { throw FormatError(path, "tensor '\(name)' is external but names no location") }
    guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
      throw FormatError(path, "tensor '\(name)' points outside the model's folder (\(location))")
    }
    let offset = Int(entries["offset"] ?? "0") ?? -1
    let length = entries["length"].flatMap { Int($0) } ?? bytes
    guard offset >= 0, length == bytes else {
      throw FormatError(path, "tensor '\(name)': external data offset \(entries["offset"] ?? "?") / length \(length) does not fit its \(bytes) bytes")
    }
    let dataPath = folder.isEmpty ? location : folder + "/" + location
    let data = try FileIO.read(dataPath, mapped: true)
    guard offset <= data.count, bytes <= data.count - offset else {
      throw FormatError(dataPath, "truncated external data: tensor '\(name)' needs \(bytes) bytes from offset \(offset), the file has \(data.count)")
    }
    return (data, offset)
  }
}

/// An ONNX node attribute.
public enum ONNXAttribute {
  case int(Int)
  case float(Double)
  case string(String)
  case ints([Int])
  case floats([Double])
  case tensor(Tensor)
  case other

  public var int: Int? { if case .int(let value) = self { value } else { nil } }
  public var ints: [Int]? { if case .ints(let value) = self { value } else { nil } }
  public var float: Double? { if case .float(let value) = self { value } else { nil } }
}
