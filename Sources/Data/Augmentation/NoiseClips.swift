import Audio
import Foundation

/// The noise recordings of `--noise-dir`, decoded to 16 kHz and held in memory. Every audio
/// file under the folder counts (the corpus readers' extensions, any depth), in path order so
/// that the draws that pick one do not depend on how the file system lists them.
public struct NoiseClips: Sendable {
  public var paths: [String]
  public var clips: [[Float]]

  /// Noise beyond this much audio is refused rather than held in memory (about 0.9 GB).
  public static let maximumSeconds = 4.0 * 3600

  public init(paths: [String], clips: [[Float]]) {
    self.paths = paths
    self.clips = clips
  }

  /// Every clip must decode and hold some signal: a silent recording cannot be scaled to an SNR.
  public static func load(folder: String) throws(DataError) -> NoiseClips {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { throw DataError(folder, "no such folder") }
    guard isDirectory.boolValue else { throw DataError(folder, "is a file, expected a folder of noise recordings") }
    let files = try CorpusReader.listFiles(folder).filter { CorpusReader.audioExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
    guard !files.isEmpty else {
      throw DataError(folder, "no audio files (\(CorpusReader.audioExtensions.sorted().joined(separator: ", "))) to draw noise from")
    }
    var paths: [String] = []
    var clips: [[Float]] = []
    var seconds = 0.0
    for file in files {
      let path = folder + "/" + file
      let samples: [Float]
      do { samples = try AudioFile.load(path) } catch { throw DataError(path, error.reason) }
      guard AdditiveNoise.energy(samples) > 0 else { throw DataError(path, "silent (every sample is zero): no noise to scale to an SNR") }
      seconds += Double(samples.count) / 16000
      guard seconds <= maximumSeconds else {
        throw DataError(folder, "more than \(Int(maximumSeconds / 3600)) h of noise, which would be held in memory decoded; choose a smaller selection")
      }
      paths.append(path)
      clips.append(samples)
    }
    return NoiseClips(paths: paths, clips: clips)
  }
}
