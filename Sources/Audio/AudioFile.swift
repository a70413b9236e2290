import CSndFile
import Foundation

/// Decoded audio: mono float samples in [-1, 1] and their rate.
public struct DecodedAudio: Sendable {
  public var samples: [Float]
  public var sampleRate: Int
  public var seconds: Double { Double(samples.count) / Double(sampleRate) }
}

/// What a file's header says, without decoding it.
public struct AudioInfo: Sendable, Equatable {
  public var frames: Int
  public var sampleRate: Int
  public var channels: Int
  /// libsndfile's major format name ("WAV (Microsoft)", "NIST Sphere", "FLAC", "OGG", …).
  public var format: String
  public var seconds: Double { Double(frames) / Double(sampleRate) }
}

/// Why a file could not be used as audio; always names the file.
public struct AudioError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var reason: String
  public init(_ path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }
}

/// Reads audio through libsndfile: WAV (PCM 16/24/32-bit, float), FLAC, OGG/Vorbis, NIST SPHERE
/// (TIMIT's .WAV files) and the rest libsndfile knows. Channels are mixed down to mono by
/// averaging, in float32 (sum over channels, divided by the channel count).
public enum AudioFile {
  public static func info(_ path: String) throws(AudioError) -> AudioInfo {
    let (file, info) = try open(path)
    defer { sf_close(file) }
    var formatInfo = SF_FORMAT_INFO()
    formatInfo.format = info.format & Int32(SF_FORMAT_TYPEMASK)
    let name = sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0 && formatInfo.name != nil
      ? String(cString: formatInfo.name) : "unknown"
    return AudioInfo(frames: Int(info.frames), sampleRate: Int(info.samplerate), channels: Int(info.channels), format: name)
  }

  public static func read(_ path: String) throws(AudioError) -> DecodedAudio {
    let (file, info) = try open(path)
    defer { sf_close(file) }
    let channels = Int(info.channels)
    let frames = Int(info.frames)
    var interleaved = [Float](repeating: 0, count: frames * channels)
    let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
    guard read > 0 else { throw AudioError(path, "cannot decode samples: \(String(cString: sf_strerror(file)))") }
    let count = Int(read)
    if count < frames { throw AudioError(path, "truncated: the header promises \(frames) frames, only \(count) could be decoded") }
    guard channels > 1 else { return DecodedAudio(samples: Array(interleaved[0..<count]), sampleRate: Int(info.samplerate)) }
    var mono = [Float](repeating: 0, count: count)
    let scale = Float(channels)
    for frame in 0..<count {
      var sum: Float = 0
      for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
      mono[frame] = sum / scale
    }
    return DecodedAudio(samples: mono, sampleRate: Int(info.samplerate))
  }

  private static func open(_ path: String) throws(AudioError) -> (OpaquePointer, SF_INFO) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw AudioError(path, "no such file") }
    if isDirectory.boolValue { throw AudioError(path, "is a directory, expected an audio file") }
    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
      let code = sf_error(nil)
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
      if size == 0 { throw AudioError(path, "cannot decode: the file is empty") }
      if code == Int32(SF_ERR_UNRECOGNISED_FORMAT) {
        throw AudioError(path, "cannot decode: not a format libsndfile reads (WAV, FLAC, OGG/Vorbis, NIST SPHERE, …)")
      }
      throw AudioError(path, "cannot decode: \(String(cString: sf_strerror(nil)))")
    }
    guard info.channels > 0, info.samplerate > 0 else {
      sf_close(file)
      throw AudioError(path, "has no channels or no sample rate")
    }
    guard info.frames > 0 else {
      sf_close(file)
      throw AudioError(path, "contains no samples (zero-length audio)")
    }
    return (file, info)
  }

  /// Decodes, mixes down and resamples to `rate` (16 kHz for Wav2Vec2).
  public static func load(_ path: String, rate: Int = 16000) throws(AudioError) -> [Float] {
    let audio = try read(path)
    return try Resampler.resample(audio.samples, from: audio.sampleRate, to: rate, path: path)
  }
}
