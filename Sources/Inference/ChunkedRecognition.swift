import Audio
import Models
import Runtime

/// Long-form recognition the way transformers' automatic-speech-recognition pipeline does it for
/// CTC models: the audio is cut into overlapping chunks (``AudioChunking``), each chunk goes
/// through the feature extractor and the model on its own (so it is normalised over its own
/// samples), each chunk's per-frame best classes are computed, its stride frames are dropped
/// (``ChunkStride``) and the rest are concatenated before one CTC decoding of the whole.
///
/// Attention is quadratic in frames, so one pass over a 10-minute file needs tens of GiB; chunk
/// by chunk, memory is bounded by one chunk's activations whatever the file's length. Samples
/// are pulled from a reader, and only the current chunk (plus one sample, to know whether it is
/// the last) is held.
public struct ChunkedRecognition {
  public var chunking: AudioChunking

  public init(chunking: AudioChunking) { self.chunking = chunking }

  /// Samples per logits frame (`inputs_to_logits_ratio`: the product of the convolution strides).
  public static func samplesPerFrame(_ configuration: Wav2Vec2Configuration) -> Int {
    configuration.convStride.reduce(1, *)
  }

  /// The stitched per-frame class ids of everything `read` yields. `read(n)` returns up to `n`
  /// further samples at the model's rate, fewer only at the end. `path` names the input in errors.
  ///
  /// A final chunk shorter than the model's receptive field yields no frames (the pipeline
  /// would fail in the convolution); an input shorter than that is an error, as it is unchunked.
  public func frameIds(recognizer: Recognizer, path: String, read: (Int) throws -> [Float]) throws -> [Int] {
    var ids: [Int] = []
    try forEachChunk(recognizer: recognizer, path: path, read: read) { logits, stride in
      ids += stride.kept(GreedyDecoding.frameIds(logits.floats, shape: logits.shape, row: 0, frames: logits.shape[1]))
    }
    return ids
  }

  /// The stitched logits, row-major [frames, classes]: the pipeline concatenates each chunk's
  /// kept frames this way before decoding them with a language model (`ctc_with_lm`).
  public func logits(recognizer: Recognizer, path: String, read: (Int) throws -> [Float]) throws -> [Float] {
    var rows: [Float] = []
    try forEachChunk(recognizer: recognizer, path: path, read: read) { logits, stride in
      let classes = logits.shape[2]
      let values = logits.floats
      let frames = stride.kept(Array(0..<logits.shape[1]))
      if let first = frames.first { rows += values[(first * classes)..<((frames.last! + 1) * classes)] }
    }
    return rows
  }

  /// Runs the model on each chunk and hands its logits f32[1, T, classes] and stride to `body`.
  private func forEachChunk(recognizer: Recognizer, path: String, read: (Int) throws -> [Float], _ body: (Tensor, ChunkStride) throws -> Void) throws {
    let samplesPerFrame = Self.samplesPerFrame(recognizer.model.configuration)
    let receptiveField = recognizer.model.configuration.receptiveField
    var buffer: [Float] = []
    var bufferStart = 0
    var endOfInput = false
    var start = 0
    var previousLength: Int?
    while true {
      // Hold samples [start, start + chunkLength + 1) when the input has them.
      buffer.removeFirst(min(buffer.count, start - bufferStart))
      bufferStart = start
      while !endOfInput && buffer.count < chunking.chunkLength + 1 {
        let wanted = chunking.chunkLength + 1 - buffer.count
        let samples = try read(wanted)
        if samples.count < wanted { endOfInput = true }
        buffer += samples
      }
      if buffer.isEmpty { break }
      guard let chunk = chunking.chunk(at: start, available: buffer.count) else { break }
      let samples = Array(buffer[0..<chunk.length])
      if samples.count >= receptiveField {
        // The storage pool caches freed activations by size; a chunk of another length (the last)
        // would otherwise allocate a second set beside the cached first.
        if let previousLength, previousLength != samples.count { StoragePool.shared.trim() }
        previousLength = samples.count
        try body(try recognizer.logits([samples]), chunk.frameStride(alignment: samplesPerFrame))
      } else if start == 0 {
        throw AudioError(
          path,
          "is \(samples.count) samples long, shorter than the model's receptive field of \(receptiveField) samples (\(Double(receptiveField) / Double(recognizer.model.featureExtractor.samplingRate)) s)"
        )
      }
      if chunk.isLast { break }
      start += chunking.step
    }
  }

  /// `frameIds` over samples already in memory.
  public func frameIds(recognizer: Recognizer, samples: [Float], path: String = "<audio>") throws -> [Int] {
    var position = 0
    return try frameIds(recognizer: recognizer, path: path) { count in
      let end = min(samples.count, position + count)
      defer { position = end }
      return Array(samples[position..<end])
    }
  }
}
