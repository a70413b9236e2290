import ArgumentParser
import Audio
import Foundation
import Inference

extension TranscriptFormat: ExpressibleByArgument {}

/// Which timings `asrc transcribe` reports.
enum TimestampLevel: String, CaseIterable, ExpressibleByArgument {
  case none, word
}

/// `--chunk-length-s` and `--stride-length-s` as the command reads them: when to chunk a file
/// and how, decided once per run (the settings) and once per file (its length).
struct ChunkingChoice {
  /// nil: chunk files longer than the threshold with the default chunks; 0: never chunk.
  var chunkSeconds: Double?
  /// nil: the pipeline's default (chunk / 6 on each side).
  var strideSeconds: [Double]?
  /// The chunking of chunked files, checked before any file is read.
  var chunking: AudioChunking?

  init(chunkSeconds: Double?, stride: String?, samplingRate: Int, samplesPerFrame: Int) throws(CommandFailure) {
    self.chunkSeconds = chunkSeconds
    if let stride { strideSeconds = try Self.parseStride(stride) }
    if let chunkSeconds, !(chunkSeconds >= 0) || !chunkSeconds.isFinite {
      throw CommandFailure("--chunk-length-s \(chunkSeconds): the chunk length must be 0 (no chunking) or a positive number of seconds")
    }
    if strideSeconds != nil, chunkSeconds == nil || chunkSeconds == 0 {
      throw CommandFailure("--stride-length-s needs a positive --chunk-length-s (the strides are the overlap between chunks)")
    }
    let seconds = chunkSeconds ?? AudioChunking.defaultChunkSeconds
    guard seconds > 0 else { return }
    do {
      chunking = try AudioChunking(chunkSeconds: seconds, strideSeconds: strideSeconds, samplingRate: samplingRate, alignment: samplesPerFrame)
    } catch {
      throw CommandFailure("--chunk-length-s \(seconds) --stride-length-s \(stride ?? "\(seconds / 6) (the default)"): \(error)")
    }
  }

  /// The chunking for a file of `seconds`, or nil to run it in one pass.
  func chunking(forSeconds seconds: Double) -> AudioChunking? {
    switch chunkSeconds {
    case nil: return seconds > AudioChunking.defaultThresholdSeconds ? chunking : nil
    case 0: return nil
    default: return chunking
    }
  }

  /// "Y" (both sides) or "L,R", in seconds.
  static func parseStride(_ text: String) throws(CommandFailure) -> [Double] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap(Double.init)
    guard (1...2).contains(parts.count), values.count == parts.count else {
      throw CommandFailure("--stride-length-s \(text): expected seconds as one number (both sides) or two as left,right")
    }
    guard values.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
      throw CommandFailure("--stride-length-s \(text): strides must not be negative")
    }
    return values
  }
}
