import Audio
import Data
import Foundation
import Formats
import Models
import TestSupport
import Testing

/// The augmenter's draws (determinism, distributions), noise from recordings, and how datasets
/// are checked for speed perturbation.
@Suite struct WaveformAugmenterTests {
  let scratch = ScratchSpace()
  let config = Wav2Vec2Configuration.base
  let tokenizer = Vocabulary.blogLayout(from: ["abcdefghijklmnopqrstuvwxyz'"])

  /// A dataset of `count` one-second clips (the augmenter only needs their lengths and labels).
  func dataset(count: Int = 4) throws -> Dataset {
    let root = scratch.folder("asrc-augment")
    var manifest = "path,text\n"
    for index in 0..<count {
      try TestAudio.writeWAV(root + "/clip\(index).wav", seconds: 1, frequency: 200 + 50 * Double(index))
      manifest += "clip\(index).wav,hello\n"
    }
    try TestAudio.write(manifest, to: root + "/data.csv")
    return Dataset.prepare(try CorpusReader.load(root + "/data.csv"), tokenizer: tokenizer, model: config)
  }

  func augmenter(_ settings: WaveformAugmenter.Settings, noise: NoiseClips? = nil, seed: UInt64 = 0, dataset: Dataset) throws -> WaveformAugmenter {
    try WaveformAugmenter(settings: settings, noise: noise, seed: seed, dataset: dataset, model: config)
  }

  func clip() throws -> [Float] { try AugmentationFixtureTests.samples("input.npy") }

  var everything: WaveformAugmenter.Settings {
    var settings = WaveformAugmenter.Settings()
    settings.speedFactors = [0.9, 1.0, 1.1]
    settings.noiseSNRDecibels = 5...25
    settings.gainDecibels = -6...6
    settings.startSilenceSeconds = 0...0.3
    settings.endSilenceSeconds = 0...0.1
    settings.silenceProbability = 0.7
    return settings
  }

  @Test func drawsDependOnSeedEpochAndUtteranceOnly() throws {
    let data = try dataset()
    let input = try clip()
    let first = try augmenter(everything, dataset: data)
    let again = try augmenter(everything, dataset: data)
    let reseeded = try augmenter(everything, seed: 1, dataset: data)
    for index in 0..<4 {
      let output = try first.apply(input, index: index, epoch: 3)
      #expect(try again.apply(input, index: index, epoch: 3) == output, "utterance \(index): not repeatable")
      #expect(try first.apply(input, index: index, epoch: 4) != output, "utterance \(index): the same in another epoch")
      #expect(try reseeded.apply(input, index: index, epoch: 3) != output, "utterance \(index): the same under another seed")
      // The length the sampler groups by is the clip's length after augmentation.
      #expect(first.length(index: index, samples: input.count, epoch: 3) == output.count)
    }
    #expect(try first.apply(input, index: 0, epoch: 3) != first.apply(input, index: 1, epoch: 3), "two utterances got the same draws")
  }

  @Test func speedFactorsAreDrawnUniformly() throws {
    let data = try dataset()
    let augmenter = try augmenter(everything, dataset: data)
    var counts: [Double: Int] = [:]
    let epochs = 1500
    for epoch in 0..<epochs { for index in 0..<4 { counts[augmenter.speedFactor(index: index, epoch: epoch), default: 0] += 1 } }
    #expect(Set(counts.keys) == [0.9, 1.0, 1.1])
    let draws = Double(epochs * 4)
    let standardError = (draws * (1.0 / 3) * (2.0 / 3)).squareRoot()
    for (factor, count) in counts { #expect(abs(Double(count) - draws / 3) <= 4 * standardError, "speed \(factor): \(count) of \(Int(draws))") }
  }

  /// White noise at a drawn SNR: each clip's measured SNR is in the range, a fixed SNR is met
  /// to 1e-3 dB, and `noiseProbability` is the fraction of clips that get noise.
  @Test func whiteNoiseMeetsTheSNRAndProbability() throws {
    let data = try dataset()
    let input = try clip()
    var fixed = WaveformAugmenter.Settings()
    fixed.noiseSNRDecibels = 12...12
    let exact = try augmenter(fixed, dataset: data)
    for epoch in 0..<20 {
      let noisy = try exact.apply(input, index: epoch % 4, epoch: epoch)
      #expect(abs(AugmentationMeasure.snr(signal: input, noisy: noisy) - 12) <= 1e-3)
    }
    var ranged = fixed
    ranged.noiseSNRDecibels = 5...25
    ranged.noiseProbability = 0.3
    let sometimes = try augmenter(ranged, dataset: data)
    var noisyCount = 0
    var measured: [Double] = []
    let draws = 1200
    for epoch in 0..<(draws / 4) {
      for index in 0..<4 {
        let output = try sometimes.apply(input, index: index, epoch: epoch)
        guard output != input else { continue }
        noisyCount += 1
        measured.append(AugmentationMeasure.snr(signal: input, noisy: output))
      }
    }
    let standardError = (Double(draws) * 0.3 * 0.7).squareRoot()
    #expect(abs(Double(noisyCount) - Double(draws) * 0.3) <= 4 * standardError, "\(noisyCount) of \(draws) clips got noise at probability 0.3")
    #expect(measured.allSatisfy { $0 >= 5 - 1e-3 && $0 <= 25 + 1e-3 }, "SNRs outside 5…25 dB: \(measured.filter { $0 < 5 - 1e-3 || $0 > 25 + 1e-3 })")
    // Uniform over 5…25 dB: the mean within 4 standard errors of 15 (σ = 20 / √12).
    let mean = measured.reduce(0, +) / Double(measured.count)
    #expect(abs(mean - 15) <= 4 * (20 / 12.0.squareRoot()) / Double(measured.count).squareRoot(), "mean SNR \(mean) dB")
  }

  /// Silence alone: zeros of the drawn lengths around the clip as it was, the lengths within
  /// their ranges and drawn anew per epoch, `silenceProbability` the fraction of clips padded, and
  /// `length` (what the sampler groups by) the padded length.
  @Test func silenceIsZerosOfTheDrawnLengthsAroundTheClip() throws {
    let data = try dataset()
    let input = try clip()
    var settings = WaveformAugmenter.Settings()
    settings.startSilenceSeconds = 0.1...0.3
    settings.endSilenceSeconds = 0.05...0.05
    settings.silenceProbability = 0.5
    let augmenter = try augmenter(settings, dataset: data)
    var padded = 0
    var starts: Set<Int> = []
    let epochs = 400
    for epoch in 0..<epochs {
      let (start, end) = augmenter.silence(index: epoch % 4, epoch: epoch)
      let output = try augmenter.apply(input, index: epoch % 4, epoch: epoch)
      #expect(output.count == input.count + start + end && augmenter.length(index: epoch % 4, samples: input.count, epoch: epoch) == output.count)
      if start == 0 && end == 0 {
        #expect(output == input, "epoch \(epoch): changed without silence")
        continue
      }
      padded += 1
      starts.insert(start)
      #expect((1600...4800).contains(start) && end == 800, "epoch \(epoch): \(start) and \(end) samples")
      #expect(output[..<start].allSatisfy { $0 == 0 } && output[(output.count - end)...].allSatisfy { $0 == 0 })
      #expect(Array(output[start..<(start + input.count)]) == input, "epoch \(epoch): the clip itself changed")
    }
    // A coin of 0.5: within 4 standard errors of half.
    #expect(abs(Double(padded) - Double(epochs) / 2) <= 4 * (Double(epochs) * 0.25).squareRoot(), "\(padded) of \(epochs) padded")
    #expect(starts.count > padded / 2, "the silence is not drawn anew per epoch")
    #expect(settings.longestSilence == 4800 + 800)
  }

  /// Noise over a padded clip has the power per sample the SNR asks of the speech: over the
  /// whole clip its SNR is lower by 10 · log10(total / speech), to 1e-3 dB.
  @Test func noiseOverSilenceKeepsTheSpeechsSNR() throws {
    let data = try dataset()
    let input = try clip()
    var settings = WaveformAugmenter.Settings()
    settings.noiseSNRDecibels = 12...12
    settings.startSilenceSeconds = 0.2...0.5
    let augmenter = try augmenter(settings, dataset: data)
    for epoch in 0..<8 {
      let start = augmenter.silence(index: 0, epoch: epoch).start
      let noisy = try augmenter.apply(input, index: 0, epoch: epoch)
      let padded = [Float](repeating: 0, count: start) + input
      let expected = 12 + 10 * log10(Double(input.count) / Double(padded.count))
      #expect(abs(AugmentationMeasure.snr(signal: padded, noisy: noisy) - expected) <= 1e-3, "epoch \(epoch), \(start) samples of silence")
      // The silence got noise too: the padding is not left at digital zero.
      #expect(noisy[..<start].contains { $0 != 0 })
    }
  }

  @Test func gainAloneScalesByTheDrawnDecibels() throws {
    let data = try dataset()
    let input = try clip()
    var settings = WaveformAugmenter.Settings()
    settings.gainDecibels = -3...3
    let augmenter = try augmenter(settings, dataset: data)
    let peak = input.indices.max { abs(input[$0]) < abs(input[$1]) }!
    var gains: Set<Float> = []
    for epoch in 0..<10 {
      let output = try augmenter.apply(input, index: 0, epoch: epoch)
      // One factor for the whole clip, within the range (±3 dB keeps this clip below full scale).
      let factor = output[peak] / input[peak]
      #expect((-3.0...3.0).contains(20 * log10(Double(factor))), "gain \(20 * log10(Double(factor))) dB")
      #expect(zip(output, input).allSatisfy { abs($0 - $1 * factor) <= 1e-6 * abs($1) }, "epoch \(epoch): not one gain for the whole clip")
      gains.insert(factor)
    }
    #expect(gains.count == 10, "the gain is not drawn anew per epoch")
  }

  /// Noise from a folder: the noise added is the recording, looped from some offset and scaled.
  @Test func noiseFromRecordingsIsALoopedExcerpt() throws {
    let data = try dataset()
    let input = try clip()
    let folder = scratch.folder("asrc-noise")
    // 0.05 s of a 997 Hz tone: far shorter than the clip, so it must loop.
    try TestAudio.writeWAV(folder + "/hum.wav", seconds: 0.05, frequency: 997)
    let noise = try NoiseClips.load(folder: folder)
    #expect(noise.paths == [folder + "/hum.wav"] && noise.clips[0].count == 800)
    var settings = WaveformAugmenter.Settings()
    settings.noiseSNRDecibels = 10...10
    let augmenter = try augmenter(settings, noise: noise, dataset: data)
    let noisy = try augmenter.apply(input, index: 2, epoch: 0)
    #expect(abs(AugmentationMeasure.snr(signal: input, noisy: noisy) - 10) <= 1e-3)
    let added = zip(noisy, input).map { $0 - $1 }
    let recording = noise.clips[0]
    // The offset whose excerpt best explains the start of the added noise (past one loop)...
    func fit(_ offset: Int, count: Int) -> Float {
      let excerpt = AdditiveNoise.excerpt(of: recording, count: count, offset: offset)
      let scale = zip(added, excerpt).reduce(0) { $0 + $1.0 * $1.1 } / excerpt.reduce(0) { $0 + $1 * $1 }
      return zip(added, excerpt).map { abs($0 - scale * $1) }.max()!
    }
    let best = (0..<recording.count).min { fit($0, count: 1000) < fit($1, count: 1000) }!
    // ...explains all of it up to float rounding.
    let residual = fit(best, count: added.count)
    #expect(residual <= 1e-6, "the added noise is no looped excerpt of the recording (residual \(residual))")
  }

  @Test func noiseFoldersThatCannotServeAreErrorsNamingTheFile() throws {
    let root = scratch.folder("asrc-noise")
    try TestAudio.write("text", to: root + "/notes.txt")
    try TestAudio.writeWAV(root + "/file.wav", seconds: 0.1)
    try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: root + "/bad", withIntermediateDirectories: true)
    try TestAudio.writeWAV(root + "/bad/fine.wav", seconds: 0.1)
    try TestAudio.write("not audio at all", to: root + "/bad/broken.wav")
    try FileManager.default.createDirectory(atPath: root + "/silent", withIntermediateDirectories: true)
    try TestAudio.place(TestAudio.wavBytes([Int16](repeating: 0, count: 800)), at: root + "/silent/zeros.wav")
    let cases: [(folder: String, path: String, reason: String)] = [
      (root + "/none", root + "/none", "no such folder"),
      (root + "/file.wav", root + "/file.wav", "is a file, expected a folder of noise recordings"),
      (root + "/empty", root + "/empty", "no audio files"),
      (root + "/bad", root + "/bad/broken.wav", "cannot decode"),
      (root + "/silent", root + "/silent/zeros.wav", "silent"),
    ]
    for (folder, path, reason) in cases {
      #expect {
        _ = try NoiseClips.load(folder: folder)
      } throws: { error in
        guard let error = error as? DataError else { return false }
        return error.path == path && error.reason.contains(reason)
      }
    }
  }

  /// An utterance too short for CTC at 1.1 trains at 0.9 and 1.0 only, and is reported; one too
  /// short at every factor is skipped with the reason.
  @Test func speedPerturbationKeepsCTCAlignable() throws {
    let root = scratch.folder("asrc-speed")
    // "abc" needs 3 frames: 1040 samples or more. 1100 samples give 1000 at speed 1.1 (2 frames).
    try TestAudio.writeWAV(root + "/tight.wav", seconds: 1100.0 / 16000)
    try TestAudio.writeWAV(root + "/roomy.wav", seconds: 1)
    try TestAudio.write("path,text\ntight.wav,abc\nroomy.wav,abc\n", to: root + "/data.csv")
    let corpus = try CorpusReader.load(root + "/data.csv")
    var options = Dataset.Options()
    options.speedFactors = [0.9, 1.0, 1.1]
    let data = Dataset.prepare(corpus, tokenizer: tokenizer, model: config, options: options)
    #expect(data.items.count == 2 && data.skipped.isEmpty)
    #expect(data.speedLimited.map { ($0.path as NSString).lastPathComponent } == ["tight.wav"])
    #expect(data.speedLimited.first?.reason == "at speed 1.1 the transcript is too long for the audio: CTC needs 3 frames, the audio yields 2")
    #expect(data.summary.contains("1 utterance trains only at the --speed-perturb factors long enough for CTC"))
    var settings = WaveformAugmenter.Settings()
    settings.speedFactors = options.speedFactors
    let augmenter = try augmenter(settings, dataset: data)
    let tight = data.items.firstIndex { $0.utterance.audioPath.hasSuffix("tight.wav") }!
    let drawn = Set((0..<200).map { augmenter.speedFactor(index: tight, epoch: $0) })
    #expect(drawn == [0.9, 1.0])

    options.speedFactors = [1.1]
    let fastOnly = Dataset.prepare(corpus, tokenizer: tokenizer, model: config, options: options)
    #expect(fastOnly.items.count == 1)
    #expect(fastOnly.skipped.map(\.reason) == ["too short at every --speed-perturb factor: at speed 1.1 the transcript is too long for the audio: CTC needs 3 frames, the audio yields 2"])
    // A dataset prepared without the factors cannot hide the utterance from the augmenter.
    settings.speedFactors = [1.1]
    let unchecked = Dataset.prepare(corpus, tokenizer: tokenizer, model: config)
    #expect(throws: DataError.self) { _ = try self.augmenter(settings, dataset: unchecked) }
  }
}
