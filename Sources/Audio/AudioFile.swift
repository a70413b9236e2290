import CSndFile
import Foundation

/// Decoded audio: mono float samples in [-1, 1] and their rate.
public struct DecodedAudio: Sendable {
  public var samples: [Float]
  public var sampleRate: Int
  public var seconds: Double { Double(samples.count) / Double(sampleRate) }
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

/// Reads audio through libsndfile (WAV, FLAC, OGG/Vorbis, NIST SPHERE and the rest libsndfile
/// knows), mixing channels down to mono by averaging.
public enum AudioFile {
  public static func read(_ path: String) throws(AudioError) -> DecodedAudio {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw AudioError(path, "no such file") }
    if isDirectory.boolValue { throw AudioError(path, "is a directory, expected an audio file") }
    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
      throw AudioError(path, "cannot decode: \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(file) }
    let channels = Int(info.channels)
    let frames = Int(info.frames)
    guard channels > 0, info.samplerate > 0 else { throw AudioError(path, "has no channels or no sample rate") }
    guard frames > 0 else { throw AudioError(path, "contains no samples (zero-length audio)") }
    var interleaved = [Float](repeating: 0, count: frames * channels)
    let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
    guard read > 0 else { throw AudioError(path, "cannot decode samples: \(String(cString: sf_strerror(file)))") }
    let count = Int(read)
    var mono = [Float](repeating: 0, count: count)
    if channels == 1 {
      mono = Array(interleaved[0..<count])
    } else {
      for frame in 0..<count {
        var sum: Float = 0
        for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
        mono[frame] = sum / Float(channels)
      }
    }
    return DecodedAudio(samples: mono, sampleRate: Int(info.samplerate))
  }
}
