import Audio
import Data
import Foundation
import Formats
import Testing

/// Decoding, resampling and normalisation against references made by soundfile (libsndfile),
/// python-soxr and transformers' feature extractor (tools/make_audio_fixtures.py).
@Suite struct AudioFixtureTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/audio")

  static var files: [[String: Any]] {
    guard let data = try? Data(contentsOf: root.appendingPathComponent("expected.json")),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [] }
    return json["files"] as? [[String: Any]] ?? []
  }

  static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

  @Test func everyFormatDecodesResamplesAndNormalisesLikeTheReferences() throws {
    let files = Self.files
    #expect(files.count >= 8)
    for file in files {
      let name = file["file"] as! String
      let info = try AudioFile.info(Self.path(name))
      #expect(info.frames == file["frames"] as! Int, "\(name) frames")
      #expect(info.sampleRate == file["sample_rate"] as! Int, "\(name) rate")
      #expect(info.channels == file["channels"] as! Int, "\(name) channels")
      let decoded = try AudioFile.read(Self.path(name))
      let expectedDecoded = try NumPy.read(Self.path(file["decoded_npy"] as! String)).floats
      // PCM, float and FLAC decode bit for bit; Vorbis goes through the system's libvorbis,
      // whose float rounding differs from the copy soundfile bundles.
      #expect(decoded.samples.count == expectedDecoded.count, "\(name): \(decoded.samples.count) samples, soundfile read \(expectedDecoded.count)")
      let decodeError = zip(decoded.samples, expectedDecoded).map { abs($0 - $1) }.max() ?? 0
      // Measured for Vorbis: 7.5e-8.
      #expect(decodeError <= (name.hasSuffix(".ogg") ? 3e-7 : 0), "\(name): decoded samples differ from libsndfile's (soundfile) reading by \(decodeError)")
      let resampled = try Resampler.resample(decoded.samples, from: decoded.sampleRate, to: 16000, path: name)
      let expectedResampled = try NumPy.read(Self.path(file["resampled16k_npy"] as! String)).floats
      #expect(resampled.count == expectedResampled.count, "\(name): \(resampled.count) resampled samples, python-soxr made \(expectedResampled.count)")
      let resampleError = zip(resampled, expectedResampled).map { abs($0 - $1) }.max() ?? 0
      // libsoxr is python-soxr's own library: from the same decoded samples it gives the same bits.
      let resampledFromReference = try Resampler.resample(expectedDecoded, from: decoded.sampleRate, to: 16000, path: name)
      #expect(resampledFromReference == expectedResampled, "\(name): resampling the reference decoding differs from python-soxr")
      #expect(resampleError <= (name.hasSuffix(".ogg") ? 3e-7 : 0), "\(name): resampling differs from python-soxr by \(resampleError)")
      let normalized = FeatureExtractor.normalize(resampled)
      let expectedNormalized = try NumPy.read(Self.path(file["normalized_npy"] as! String)).floats
      let normalizeError = zip(normalized, expectedNormalized).map { abs($0 - $1) }.max() ?? 0
      // Measured: at most 7.2e-7 (float32 arithmetic in a different order from numpy's).
      #expect(normalizeError <= 2e-6, "\(name): normalisation differs from Wav2Vec2FeatureExtractor by \(normalizeError)")
      print("audio \(name) (\(info.format), \(info.sampleRate) Hz, \(info.channels) ch): decode max |Δ| \(decodeError), resample max |Δ| \(resampleError), normalise max |Δ| \(normalizeError)")
    }
  }

  @Test func badFilesAreNamedWithTheirReason() {
    let cases = [
      ("zero_length.wav", "zero-length"), ("truncated.wav", "cannot decode"), ("not_audio.wav", "cannot decode"),
      ("unsupported.xyz", "not a format libsndfile reads"), ("no_such_file.wav", "no such file"),
    ]
    for (name, reason) in cases {
      do {
        _ = try AudioFile.load(Self.path(name))
        Issue.record("\(name) was accepted")
      } catch {
        #expect(error.path == Self.path(name) && error.reason.contains(reason), "\(name): \(error)")
      }
    }
  }
}
