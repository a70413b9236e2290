import CSndFile
import CSoxr
import Foundation

/// A file decoded block by block, mixed down to mono and (when its rate differs) resampled
/// through libsoxr in streaming mode, so that long recordings can be consumed with memory that
/// does not grow with their length.
///
/// `AudioFile.load` decodes a whole file into one array; for a 10-minute recording that is fine
/// by itself, but chunked recognition only ever needs one chunk at a time, and hours-long files
/// should not need gigabytes. The samples are the same as `AudioFile.load`'s: libsndfile's float
/// conversion, channels averaged in float32, soxr's "HQ" recipe (the streaming resampler gives
/// the same filter as `soxr_oneshot`; the tests compare the two).
public final class AudioStream {
  public let path: String
  /// The header of the file (its own rate and channels).
  public let info: AudioInfo
  /// The rate of the samples `read(maximumCount:)` returns.
  public let rate: Int
  private let file: OpaquePointer
  private let resampler: soxr_t?
  private let blockFrames: Int
  private var framesDecoded = 0
  private var decodingFinished = false
  private var resamplerFlushed = false
  /// Samples at the output rate decoded but not yet returned.
  private var pending: [Float] = []

  /// Opens `path` for reading at `rate` Hz in blocks of `blockFrames` frames of the file.
  public init(path: String, rate: Int = 16000, blockFrames: Int = 1 << 16) throws(AudioError) {
    // AudioFile.info makes every check (existence, format, channels, rate, empty) with its messages.
    let info = try AudioFile.info(path)
    guard rate > 0 else { throw AudioError(path, "cannot resample from \(info.sampleRate) Hz to \(rate) Hz") }
    var header = SF_INFO()
    let opened = SoundFile.open { sf_open(path, Int32(SFM_READ), &header) }
    guard let file = opened.handle else {
      throw SoundFile.openError(path, isEmpty: false, failure: opened.failure)
    }
    var resampler: soxr_t?
    if info.sampleRate != rate {
      var error: soxr_error_t?
      var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
      var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
      resampler = soxr_create(Double(info.sampleRate), Double(rate), 1, &error, &ioSpec, &qualitySpec, nil)
      if let error {
        sf_close(file)
        throw AudioError(path, "resampling from \(info.sampleRate) Hz failed: \(String(cString: error))")
      }
    }
    self.path = path
    self.info = info
    self.rate = rate
    self.file = file
    self.resampler = resampler
    self.blockFrames = max(1, blockFrames)
  }

  deinit {
    sf_close(file)
    if let resampler { soxr_delete(resampler) }
  }

  /// True once every sample has been returned.
  public var isFinished: Bool { pending.isEmpty && decodingFinished && (resampler == nil || resamplerFlushed) }

  /// Up to `maximumCount` further samples; fewer only at the end of the file, none after it.
  public func read(maximumCount: Int) throws(AudioError) -> [Float] {
    while pending.count < maximumCount && !isFinishedDecoding {
      try decodeBlock()
    }
    let count = min(maximumCount, pending.count)
    let result = Array(pending[0..<count])
    pending.removeFirst(count)
    return result
  }

  private var isFinishedDecoding: Bool { decodingFinished && (resampler == nil || resamplerFlushed) }

  /// Decodes one block (or flushes the resampler after the last one) into `pending`.
  private func decodeBlock() throws(AudioError) {
    if decodingFinished {
      try resample(nil)
      resamplerFlushed = true
      return
    }
    let channels = info.channels
    let wanted = min(blockFrames, info.frames - framesDecoded)
    var mono: [Float] = []
    if wanted > 0 {
      var interleaved = [Float](repeating: 0, count: wanted * channels)
      let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(wanted)) }
      if read < wanted {
        throw AudioError(path, "truncated: the header promises \(info.frames) frames, only \(framesDecoded + max(0, Int(read))) could be decoded")
      }
      framesDecoded += wanted
      mono = channels == 1 ? interleaved : Self.mixDown(interleaved, channels: channels)
    }
    if framesDecoded >= info.frames { decodingFinished = true }
    if resampler == nil {
      pending.append(contentsOf: mono)
    } else if !mono.isEmpty {
      try resample(mono)
    }
  }

  /// Feeds `input` to soxr (nil: the end of the input, flushing its delay line) and keeps what it writes.
  private func resample(_ input: [Float]?) throws(AudioError) {
    guard let resampler else { return }
    let ratio = Double(rate) / Double(info.sampleRate)
    let inputCount = input?.count ?? 0
    var consumed = 0
    repeat {
      let capacity = Int((Double(inputCount - consumed) * ratio).rounded(.up)) + 4096
      var output = [Float](repeating: 0, count: capacity)
      var inputDone = 0
      var outputDone = 0
      let error: soxr_error_t? = output.withUnsafeMutableBufferPointer { out in
        if let input {
          return input.withUnsafeBufferPointer { samples in
            soxr_process(resampler, samples.baseAddress! + consumed, inputCount - consumed, &inputDone, out.baseAddress, capacity, &outputDone)
          }
        }
        return soxr_process(resampler, nil, 0, nil, out.baseAddress, capacity, &outputDone)
      }
      if let error { throw AudioError(path, "resampling from \(info.sampleRate) Hz failed: \(String(cString: error))") }
      consumed += inputDone
      pending.append(contentsOf: output[0..<outputDone])
      // When flushing, soxr writes the tail over as many calls as the buffer needs; it is done once a call writes nothing.
      if input == nil && outputDone == 0 { return }
      if input != nil && inputDone == 0 && outputDone == 0 {
        throw AudioError(path, "resampling from \(info.sampleRate) Hz stalled: soxr took no input and wrote no output")
      }
    } while input == nil || consumed < inputCount
  }

  /// Channels averaged in float32 (sum over channels, divided by the count), as `AudioFile.read`.
  static func mixDown(_ interleaved: [Float], channels: Int) -> [Float] {
    let frames = interleaved.count / channels
    let scale = Float(channels)
    return (0..<frames).map { frame in
      var sum: Float = 0
      for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
      return sum / scale
    }
  }
}
