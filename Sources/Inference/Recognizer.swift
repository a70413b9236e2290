import Audio
import CRuntime
import Data
import Formats
import IR
import Models
import Passes
import Runtime

/// Speech recognition with a loaded model: audio files to logits and greedy transcripts,
/// run on the model's forward graph by the interpreter or the C backend.
public struct Recognizer {
  public let model: ModelDirectory
  /// The model graph without the CTC loss.
  public let forward: Graph
  public let extractor: FeatureExtractor
  /// What runs the forward graph.
  public var executor: any GraphExecutor

  /// `profile` collects per-op times, which only the interpreter records: with it, the
  /// interpreter runs whatever `backend` says.
  /// `precision` other than nil runs the matrix products and convolutions in bf16 or f16 (the
  /// mixed-precision pass).
  public init(model: ModelDirectory, backend: Backend = .interp, precision: LowPrecision? = nil, profile: OpProfile? = nil) throws {
    executor = profile.map { Interpreter(profile: $0) } ?? backend.executor
    self.model = model
    forward = try PassManager(passes: [selectOutputs(["logits"])] + (precision.map { [mixedPrecision($0)] } ?? [])).run(model.graph).graph
    extractor = FeatureExtractor(settings: model.featureExtractor)
  }

  /// Decodes a file at the feature extractor's rate (resampling with soxr when needed) and
  /// checks it against the model's receptive field.
  public func loadAudio(_ path: String) throws -> [Float] {
    let samples = try AudioFile.load(path, rate: model.featureExtractor.samplingRate)
    let needed = model.configuration.receptiveField
    guard samples.count >= needed else {
      throw AudioError(path, "is \(samples.count) samples long, shorter than the model's receptive field of \(needed) samples (\(Double(needed) / 16000) s)")
    }
    return samples
  }

  /// Logits f32[B, T, vocab] for a batch of clips, padded and masked as the feature extractor does.
  public func logits(_ clips: [[Float]]) throws -> Tensor {
    let batch = extractor.batch(clips)
    var inputs: [String: Tensor] = ["input_values": batch.inputValues]
    if let mask = batch.attentionMask, forward.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    guard let logits = try executor.run(forward, inputs: inputs, parameters: model.weights)["logits"] else {
      throw InterpreterError.invalidValue("the graph has no logits output")
    }
    return logits
  }

  /// Greedy CTC transcript of each row, over the frames that row's own audio yields.
  public func transcripts(logits: Tensor, sampleCounts: [Int]) -> [String] {
    GreedyDecoding.transcripts(logits: logits, sampleCounts: sampleCounts, configuration: model.configuration, tokenizer: model.tokenizer)
  }
}

/// Greedy CTC decoding: the best class per frame, over the frames each row's own audio yields
/// (padding frames are not decoded), then Wav2Vec2CTCTokenizer.decode.
public enum GreedyDecoding {
  public static func transcripts(logits: Tensor, sampleCounts: [Int], configuration: Wav2Vec2Configuration, tokenizer: CTCTokenizer) -> [String] {
    let frames = logits.shape[1]
    let values = logits.floats
    return sampleCounts.enumerated().map { row, samples in
      let valid = Swift.min(frames, configuration.frameCount(samples: samples))
      return tokenizer.decode(frameIds(values, shape: logits.shape, row: row, frames: valid))
    }
  }

  /// The best class of each of the first `frames` frames of one row (the first of equal
  /// maxima, as torch's argmax). `values` are the floats of f32[B, T, vocab] logits.
  public static func frameIds(_ values: [Float], shape: [Int], row: Int, frames: Int) -> [Int] {
    let (width, vocabulary) = (shape[1], shape[2])
    return (0..<frames).map { frame -> Int in
      let base = (row * width + frame) * vocabulary
      var best = 0
      for index in 1..<vocabulary where values[base + index] > values[base + best] { best = index }
      return best
    }
  }
}
