import Foundation

/// Where transformers' automatic-speech-recognition pipeline cuts long audio for CTC models
/// (`chunk_length_s`, `stride_length_s`), so that asrc's chunked transcripts equal the
/// pipeline's on the same model and settings.
///
/// The pipeline rounds the chunk length and both strides to whole multiples of the model's
/// `inputs_to_logits_ratio` (320 samples for Wav2Vec2), so every cut falls on a logits frame;
/// consecutive chunks then overlap by `left + right` samples, and each chunk's stride frames are
/// dropped when the outputs are stitched (``ChunkStride``). Rounding is Python's `round`
/// (halves to even) on the same double-precision expressions.
public struct AudioChunking: Equatable, Sendable {
  /// Samples per chunk (the last one may be shorter).
  public var chunkLength: Int
  /// Samples of context before each chunk but the first whose outputs are dropped.
  public var leftStride: Int
  /// Samples of context after each chunk but the last whose outputs are dropped.
  public var rightStride: Int

  /// The default for files longer than ``defaultThresholdSeconds``: 30 s chunks with the
  /// pipeline's default strides (chunk / 6 = 5 s each side). 30 s keeps the quadratic attention
  /// of a base model near 100 MB per head group while leaving each chunk 20 s of new audio.
  public static let defaultChunkSeconds = 30.0
  /// Files up to this long are transcribed in one pass (as before chunking existed).
  public static let defaultThresholdSeconds = 30.0

  public init(chunkLength: Int, leftStride: Int, rightStride: Int) throws(ChunkingError) {
    guard leftStride >= 0, rightStride >= 0 else {
      throw ChunkingError("strides must not be negative (got \(leftStride) and \(rightStride) samples)")
    }
    guard chunkLength > leftStride + rightStride else {
      throw ChunkingError(
        "the chunk length (\(chunkLength) samples) must be larger than the left and right strides together (\(leftStride) + \(rightStride) samples)")
    }
    self.chunkLength = chunkLength
    self.leftStride = leftStride
    self.rightStride = rightStride
  }

  /// The pipeline's `preprocess`: `stride_length_s` defaults to `chunk_length_s / 6` on both
  /// sides, and each length becomes `int(round(seconds * sampling_rate / align_to) * align_to)`.
  /// `strideSeconds` is nil (the default), one value for both sides, or `[left, right]`.
  public init(chunkSeconds: Double, strideSeconds: [Double]? = nil, samplingRate: Int, alignment: Int) throws(ChunkingError) {
    // A day is far beyond any sensible chunk, and keeps the sample arithmetic within Int.
    guard chunkSeconds.isFinite, chunkSeconds > 0, chunkSeconds <= 86_400 else {
      throw ChunkingError("the chunk length must be a positive number of seconds, at most a day (got \(chunkSeconds))")
    }
    let strides = strideSeconds ?? [chunkSeconds / 6]
    guard strides.count == 1 || strides.count == 2 else {
      throw ChunkingError("the stride is one length for both sides or two (left,right), got \(strides.count) values")
    }
    guard strides.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 86_400 }) else {
      throw ChunkingError("strides must be non-negative numbers of seconds (got \(strides.map { "\($0)" }.joined(separator: ",")))")
    }
    func aligned(_ seconds: Double) -> Int {
      let align = Double(alignment)
      return Int((seconds * Double(samplingRate) / align).rounded(.toNearestOrEven) * align)
    }
    let chunk = aligned(chunkSeconds)
    let (left, right) = (aligned(strides[0]), aligned(strides.count == 2 ? strides[1] : strides[0]))
    guard chunk > left + right else {
      throw ChunkingError(
        "the chunk length \(chunkSeconds) s (\(chunk) samples after rounding to multiples of \(alignment)) must be larger than the strides together (\(left) + \(right) samples)")
    }
    try self.init(chunkLength: chunk, leftStride: left, rightStride: right)
  }

  /// Samples between the starts of consecutive chunks.
  public var step: Int { chunkLength - leftStride - rightStride }

  /// The chunk starting at `start`, given how many samples exist from there on: `available`
  /// may be capped at `chunkLength + 1`, which is all that decides whether it is the last one.
  /// Nil when the pipeline's `chunk_iter` skips it (it is no longer than its left stride).
  public func chunk(at start: Int, available: Int) -> AudioChunk? {
    let length = min(chunkLength, available)
    let isLast = available <= chunkLength
    let left = start == 0 ? 0 : leftStride
    let right = isLast ? 0 : rightStride
    guard length > left else { return nil }
    return AudioChunk(start: start, length: length, leftStride: left, rightStride: right, isLast: isLast)
  }

  /// Every chunk of a clip of `sampleCount` samples, as `chunk_iter` yields them.
  public func chunks(sampleCount: Int) -> [AudioChunk] {
    var result: [AudioChunk] = []
    var start = 0
    while start < sampleCount {
      let available = min(sampleCount - start, chunkLength + 1)
      if let chunk = chunk(at: start, available: available) { result.append(chunk) }
      if available <= chunkLength { break }
      start += step
    }
    return result
  }
}

/// One window of the input: `samples[start ..< start + length]`, with the strides the pipeline
/// attaches to it (`stride = (len(chunk), left, right)`).
public struct AudioChunk: Equatable, Sendable {
  public var start: Int
  public var length: Int
  public var leftStride: Int
  public var rightStride: Int
  public var isLast: Bool

  public init(start: Int, length: Int, leftStride: Int, rightStride: Int, isLast: Bool) {
    self.start = start
    self.length = length
    self.leftStride = leftStride
    self.rightStride = rightStride
    self.isLast = isLast
  }

  /// The stride in logits frames, as the pipeline's `rescale_stride` with ratio 1 / `alignment`.
  public func frameStride(alignment: Int) -> ChunkStride {
    let total = Int((Double(length) * (1 / Double(alignment))).rounded(.toNearestOrEven))
    let left = Int((Double(leftStride) / Double(length) * Double(total)).rounded(.toNearestOrEven))
    let right = Int((Double(rightStride) / Double(length) * Double(total)).rounded(.toNearestOrEven))
    return ChunkStride(frames: total, left: left, right: right)
  }
}

/// A chunk's stride in logits frames: the pipeline keeps frames `left ..< frames - right` of
/// each chunk's outputs (`items[:, left:total_n - right]`; `frames` may exceed the frames the
/// model produced, since it is rounded from the sample count, so the end is clamped).
public struct ChunkStride: Equatable, Sendable {
  public var frames: Int
  public var left: Int
  public var right: Int

  public init(frames: Int, left: Int, right: Int) {
    self.frames = frames
    self.left = left
    self.right = right
  }

  /// The kept part of `outputs` (one entry per frame the model produced).
  public func kept<T>(_ outputs: [T]) -> ArraySlice<T> {
    let end = min(outputs.count, frames - right)
    let start = min(left, outputs.count)
    return end > start ? outputs[start..<end] : []
  }
}

/// A chunking setting that cannot work.
public struct ChunkingError: Error, CustomStringConvertible, Equatable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
