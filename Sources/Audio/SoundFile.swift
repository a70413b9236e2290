import CSndFile
import Foundation

/// An open libsndfile handle, from a path or from bytes in memory, with the checks every
/// caller needs: a recognised format, channels and a rate, and at least one sample.
final class SoundFile {
  let name: String
  private let handle: OpaquePointer
  private let sfInfo: SF_INFO
  /// Keeps the bytes of a memory-backed file alive while libsndfile reads them.
  private let stream: MemoryStream?

  init(path: String) throws(AudioError) {
    name = path
    stream = nil
    var info = SF_INFO()
    let opened = Self.open { sf_open(path, Int32(SFM_READ), &info) }
    guard let handle = opened.handle else {
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
      throw Self.openError(path, isEmpty: size == 0, failure: opened.failure)
    }
    self.handle = handle
    sfInfo = info
    try checkHeader()
  }

  init(bytes: Data, name: String) throws(AudioError) {
    self.name = name
    let stream = MemoryStream(bytes)
    self.stream = stream
    var info = SF_INFO()
    var io = MemoryStream.virtualIO
    let opened = Self.open { sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(stream).toOpaque()) }
    guard let handle = opened.handle else {
      throw Self.openError(name, isEmpty: bytes.isEmpty, failure: opened.failure)
    }
    self.handle = handle
    sfInfo = info
    try checkHeader()
  }

  deinit { sf_close(handle) }

  var channels: Int { Int(sfInfo.channels) }
  var sampleRate: Int { Int(sfInfo.samplerate) }

  /// The frame count the header gives; nil when it does not know (libsndfile reports
  /// SF_COUNT_MAX for a FLAC stream whose STREAMINFO leaves the total at zero).
  var declaredFrames: Int? { sfInfo.frames == Int64.max ? nil : Int(sfInfo.frames) }

  var formatName: String {
    var formatInfo = SF_FORMAT_INFO()
    formatInfo.format = sfInfo.format & Int32(SF_FORMAT_TYPEMASK)
    let found = sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0
    return found && formatInfo.name != nil ? String(cString: formatInfo.name) : "unknown"
  }

  var info: AudioInfo { AudioInfo(frames: declaredFrames ?? 0, sampleRate: sampleRate, channels: channels, format: formatName) }

  /// Every frame, mixed down to mono. Reads in blocks, so a header that promises more than the
  /// file holds costs no more memory than the file's real content.
  func decode() throws(AudioError) -> DecodedAudio {
    let blockFrames = 16384
    var block = [Float](repeating: 0, count: blockFrames * channels)
    var mono: [Float] = []
    mono.reserveCapacity(min(declaredFrames ?? 0, 1 << 24))
    let scale = Float(channels)
    while true {
      let read = block.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(blockFrames)) }
      guard read > 0 else { break }
      for frame in 0..<Int(read) {
        if channels == 1 {
          mono.append(block[frame])
        } else {
          var sum: Float = 0
          for channel in 0..<channels { sum += block[frame * channels + channel] }
          mono.append(sum / scale)
        }
      }
    }
    if mono.isEmpty {
      let problem = sf_error(handle) == 0 ? "contains no samples (zero-length audio)" : "cannot decode samples: \(String(cString: sf_strerror(handle)))"
      throw AudioError(name, problem)
    }
    if let frames = declaredFrames, mono.count < frames {
      throw AudioError(name, "truncated: the header promises \(frames) frames, only \(mono.count) could be decoded")
    }
    return DecodedAudio(samples: mono, sampleRate: sampleRate)
  }

  /// Sample rates asrc reads. A corrupt header's rate of a few hertz would make a 40 KB file
  /// hours long once resampled to 16 kHz (gigabytes of samples); no real recording is outside.
  static let sampleRates = 1000...1_000_000

  private func checkHeader() throws(AudioError) {
    guard sfInfo.channels > 0, sfInfo.samplerate > 0 else { throw AudioError(name, "has no channels or no sample rate") }
    guard Self.sampleRates.contains(Int(sfInfo.samplerate)) else {
      throw AudioError(name, "sample rate \(sfInfo.samplerate) Hz is outside what asrc reads (1 kHz to 1 MHz); the header is likely corrupt")
    }
    guard sfInfo.frames > 0 else { throw AudioError(name, "contains no samples (zero-length audio)") }
  }

  /// Why an open failed: libsndfile's error code and message.
  struct OpenFailure {
    let code: Int32
    let message: String
  }

  /// libsndfile keeps the error of a failed open in one process-wide variable, which any other
  /// thread's open overwrites (a successful one resets it to "No Error"). Opens are serialised
  /// so that the error read after a failure is this open's own.
  private static let openLock = NSLock()

  static func open(_ opening: () -> OpaquePointer?) -> (handle: OpaquePointer?, failure: OpenFailure) {
    openLock.lock()
    defer { openLock.unlock() }
    let handle = opening()
    return (handle, OpenFailure(code: sf_error(nil), message: String(cString: sf_strerror(nil))))
  }

  static func openError(_ name: String, isEmpty: Bool, failure: OpenFailure) -> AudioError {
    if isEmpty { return AudioError(name, "cannot decode: the file is empty") }
    if failure.code == Int32(SF_ERR_UNRECOGNISED_FORMAT) {
      return AudioError(name, "cannot decode: not a format libsndfile reads (WAV, FLAC, OGG/Vorbis, NIST SPHERE, …)")
    }
    return AudioError(name, "cannot decode: \(failure.message)")
  }
}
