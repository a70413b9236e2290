import Foundation
import Formats
import Testing

/// Every model-file reader given the files a new user may hand it by mistake: empty, cut short,
/// another format under its name, or a folder. Each must fail with a FormatError naming the
/// file and the reason (never a trap or a silently wrong value).
@Suite struct ReaderSweepTests {
  enum Reader: String, Sendable {
    case safetensors, npy, config, vocabulary, onnx

    func read(_ path: String) throws(FormatError) {
      switch self {
      case .safetensors: _ = try Safetensors.read(path)
      case .npy: _ = try NumPy.read(path)
      case .config: _ = try Wav2Vec2ConfigFile.read(path)
      case .vocabulary: _ = try CTCTokenizer.read(vocabularyFile: path, folder: (path as NSString).deletingLastPathComponent)
      case .onnx: _ = try ONNXModel.load(path)
      }
    }
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var reader: Reader
    var name: String
    /// nil: a folder of that name.
    var bytes: Data?
    var reason: String
    var testDescription: String { "\(reader.rawValue): \(name)" }
  }

  static let wav = Data("RIFF\u{24}\0\0\0WAVEfmt ".utf8) + Data(count: 40)
  static let json = Data("{\"hidden_size\": 32}".utf8)
  static let onnx = (try? Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx/not_wav2vec2.onnx"))) ?? Data()

  static func npy(_ header: String, data: Data = Data(count: 24)) -> Data {
    var padded = header
    while (10 + padded.utf8.count + 1) % 64 != 0 { padded += " " }
    padded += "\n"
    var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    bytes.append(contentsOf: [UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)])
    return bytes + Data(padded.utf8) + data
  }

  static func safetensors(headerLength: UInt64, rest: Data) -> Data {
    withUnsafeBytes(of: headerLength.littleEndian) { Data($0) } + rest
  }

  static let cases: [Case] = [
    Case(reader: .safetensors, name: "empty.safetensors", bytes: Data(), reason: "truncated safetensors file: 0 bytes"),
    Case(reader: .safetensors, name: "short.safetensors", bytes: Data([1, 0, 0]), reason: "truncated safetensors file: 3 bytes"),
    Case(reader: .safetensors, name: "cut-header.safetensors", bytes: safetensors(headerLength: 100, rest: Data("{\"a\":".utf8)), reason: "header length 100 exceeds"),
    Case(reader: .safetensors, name: "wav.safetensors", bytes: wav, reason: "header length"),
    Case(reader: .safetensors, name: "overflowing-shape.safetensors",
      bytes: safetensors(headerLength: 76, rest: Data("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}    ".utf8)),
      reason: "declares shape [4611686018427387904]"),
    Case(reader: .safetensors, name: "folder.safetensors", bytes: nil, reason: "is a directory"),
    Case(reader: .npy, name: "empty.npy", bytes: Data(), reason: "bad magic"),
    Case(reader: .npy, name: "cut-header.npy", bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }").prefix(30), reason: "truncated .npy header"),
    Case(reader: .npy, name: "cut-data.npy", bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: Data(count: 5)), reason: "truncated .npy data"),
    Case(reader: .npy, name: "negative.npy", bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"), reason: "bad .npy shape entry '-1'"),
    Case(reader: .npy, name: "word.npy", bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }"), reason: "bad .npy shape entry 'x'"),
    Case(reader: .npy, name: "huge.npy", bytes: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"), reason: "truncated .npy data"),
    Case(reader: .npy, name: "version9.npy", bytes: Data([0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0]), reason: "unsupported .npy format version 9"),
    Case(reader: .npy, name: "json.npy", bytes: json, reason: "bad magic"),
    Case(reader: .npy, name: "folder.npy", bytes: nil, reason: "is a directory"),
    Case(reader: .config, name: "empty.json", bytes: Data(), reason: "is empty, expected a JSON object"),
    Case(reader: .config, name: "cut.json", bytes: json.prefix(10), reason: "is not valid JSON"),
    Case(reader: .config, name: "list.json", bytes: Data("[1, 2]".utf8), reason: "expected a JSON object at the top level"),
    Case(reader: .config, name: "wav.json", bytes: wav, reason: "is not valid JSON"),
    Case(reader: .config, name: "folder.json", bytes: nil, reason: "is a directory"),
    Case(reader: .vocabulary, name: "empty-vocab.json", bytes: Data(), reason: "is empty, expected a JSON object"),
    Case(reader: .vocabulary, name: "cut-vocab.json", bytes: Data("{\"a\": 0, \"<pad>\"".utf8), reason: "is not valid JSON"),
    Case(reader: .vocabulary, name: "no-tokens.json", bytes: Data("{}".utf8), reason: "the vocabulary is empty"),
    Case(reader: .vocabulary, name: "fraction.json", bytes: Data("{\"<pad>\": 0, \"a\": 1.5}".utf8), reason: "token a maps to 1.5"),
    Case(reader: .vocabulary, name: "huge-id.json", bytes: Data("{\"<pad>\": 0, \"a\": 1e300}".utf8), reason: "expected an integer id"),
    Case(reader: .vocabulary, name: "no-pad.json", bytes: Data("{\"a\": 0}".utf8), reason: "the pad token <pad> (the CTC blank) is not in the vocabulary"),
    Case(reader: .vocabulary, name: "folder-vocab.json", bytes: nil, reason: "is a directory"),
    Case(reader: .onnx, name: "empty.onnx", bytes: Data(), reason: "the file is empty"),
    Case(reader: .onnx, name: "cut.onnx", bytes: onnx.prefix(onnx.count / 2), reason: "not a valid ONNX protobuf"),
    Case(reader: .onnx, name: "json.onnx", bytes: json, reason: "not a valid ONNX protobuf"),
    Case(reader: .onnx, name: "folder.onnx", bytes: nil, reason: "is a directory"),
  ]

  @Test(arguments: cases)
  func refusesWithFileAndReason(_ test: Case) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-readers-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/" + test.name
    if let bytes = test.bytes {
      try bytes.write(to: URL(fileURLWithPath: path))
    } else {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
    do {
      try test.reader.read(path)
      Issue.record("\(test.name) was accepted")
    } catch {
      #expect(error.path == path, "\(error)")
      #expect(error.reason.contains(test.reason), "\(error)")
    }
  }

  @Test func missingFilesAreNamed() {
    for reader in [Reader.safetensors, .npy, .config, .onnx] {
      #expect(throws: FormatError("/nonexistent/x", "no such file")) { try reader.read("/nonexistent/x") }
    }
  }
}
