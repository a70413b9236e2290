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
  /// The header's facts. When the header does not give the length (a FLAC stream written
  /// without it), the file is decoded to count its frames.
  public static func info(_ path: String) throws(AudioError) -> AudioInfo {
    try checkIsFile(path)
    let file = try SoundFile(path: path)
    if file.declaredFrames == nil {
      let decoded = try file.decode()
      return AudioInfo(frames: decoded.samples.count, sampleRate: decoded.sampleRate, channels: file.channels, format: file.formatName)
    }
    return file.info
  }

  public static func read(_ path: String) throws(AudioError) -> DecodedAudio {
    try checkIsFile(path)
    return try SoundFile(path: path).decode()
  }

  /// Decodes audio held in memory (through libsndfile's virtual I/O); `name` is used in errors.
  public static func decode(_ bytes: Data, name: String) throws(AudioError) -> DecodedAudio {
    try SoundFile(bytes: bytes, name: name).decode()
  }

  /// Decodes, mixes down and resamples to `rate` (16 kHz for Wav2Vec2).
  public static func load(_ path: String, rate: Int = 16000) throws(AudioError) -> [Float] {
    let audio = try read(path)
    return try Resampler.resample(audio.samples, from: audio.sampleRate, to: rate, path: path)
  }

  private static func checkIsFile(_ path: String) throws(AudioError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw AudioError(path, "no such file") }
    if isDirectory.boolValue { throw AudioError(path, "is a directory, expected an audio file") }
  }
}
