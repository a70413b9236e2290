import Audio
import Data
import Foundation
import Formats
import IR

/// The byte-level entry points of every reader asrc has, shared by the libFuzzer harnesses
/// under `Fuzz/` and by the tests that replay their corpora. Each either parses the bytes or
/// throws the reader's own error, which names ``inputName``; anything else (a trap, an
/// out-of-bounds access, a hang) is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
  case ir, safetensors, npy, onnx, config, tokenizer, manifest, audio

  /// The file name the readers see, so that every error can be checked to name it. ONNX's lies
  /// in a folder that does not exist, so external data is never read from the machine.
  public var inputName: String {
    switch self {
    case .ir: "fuzz-input.ir"
    case .safetensors: "fuzz-input.safetensors"
    case .npy: "fuzz-input.npy"
    case .onnx: "/nonexistent-asrc-fuzz/fuzz-input.onnx"
    case .config: "fuzz-input.json"
    case .tokenizer: "fuzz-vocab.json"
    case .manifest: "fuzz-input"
    case .audio: "fuzz-input.audio"
    }
  }

  /// Parses `bytes` with this target's reader and returns a one-line summary of what it read.
  public func parse(_ bytes: Data) throws -> String {
    switch self {
    case .ir: return try Self.parseIR(bytes)
    case .safetensors:
      let tensors = try Safetensors.parse(bytes, path: inputName)
      return "\(tensors.count) tensors"
    case .npy:
      let tensor = try NumPy.parse(bytes, path: inputName)
      return "\(tensor.dtype) \(tensor.shape)"
    case .onnx:
      // Reading, then mapping the weights and inferring the configuration as `asrc import` does.
      let model = try ONNXModel.parse(bytes, path: inputName)
      let imported = try ONNXImporter.importModel(model, configuration: nil, padTokenId: 0)
      return "\(model.nodes.count) nodes, \(imported.weights.count) weights"
    case .config:
      // The first byte picks the file: config.json or preprocessor_config.json.
      guard let first = bytes.first else { throw FormatError(inputName, "is empty, expected a JSON object") }
      let rest = bytes.dropFirst()
      if first % 2 == 0 { return "\(try Wav2Vec2ConfigFile.parse(rest, path: inputName).configuration.hiddenSize) hidden" }
      return "\(try FeatureExtractorSettings.parse(rest, path: inputName).samplingRate) Hz"
    case .tokenizer:
      let tokenizer = try CTCTokenizer.parse(vocabulary: bytes, path: inputName)
      let ids = tokenizer.vocabulary.values.sorted()
      return "\(ids.count) tokens, decodes to \(tokenizer.decode(ids + ids.reversed()).count) characters"
    case .manifest:
      // The first byte picks the layout: .csv, .tsv or .jsonl.
      guard let first = bytes.first else { throw DataError(inputName + ".csv", "the manifest is empty") }
      let path = inputName + [".csv", ".tsv", ".jsonl"][Int(first) % 3]
      let corpus = try ManifestReader.parse(bytes.dropFirst(), path: path)
      return "\(corpus.utterances.count) utterances, \(corpus.skipped.count) skipped"
    case .audio:
      // Decoding, then resampling to 16 kHz as AudioFile.load does.
      let audio = try AudioFile.decode(bytes, name: inputName)
      let resampled = try Resampler.resample(audio.samples, from: audio.sampleRate, to: 16000, path: inputName)
      return "\(audio.samples.count) samples at \(audio.sampleRate) Hz, \(resampled.count) at 16 kHz"
    }
  }

  /// Parses and verifies; a graph that verifies must print to text that parses to the same text.
  private static func parseIR(_ bytes: Data) throws -> String {
    let graph = try Parser.parseAndVerify(String(decoding: bytes, as: UTF8.self), file: FuzzTarget.ir.inputName)
    let printed = Printer.print(graph)
    let reparsed = try Parser.parseAndVerify(printed, file: "printed.ir")
    precondition(Printer.print(reparsed) == printed, "printing is not stable for a graph that verified")
    return "\(graph.allNodes.count) nodes"
  }

  /// The libFuzzer entry: errors are expected, crashes are not.
  public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) {
    let bytes = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? parse(bytes)
  }
}
