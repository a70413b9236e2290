import Audio
import Models

/// Augments training clips on their raw 16 kHz waveforms, before the feature extractor
/// normalises them (as speech toolkits do): speed perturbation, then silence padding, then
/// gain, then additive noise.
///
/// Every draw comes from (seed, epoch, utterance): the same utterance in the same epoch gets the
/// same augmentation whichever batch, thread or resumed run loads it, so a run resumed after a
/// kill repeats the uninterrupted one bit for bit. The speed factor and the silence have streams
/// of their own because the sampler needs them (for the augmented lengths) before the loader
/// decodes anything.
public struct WaveformAugmenter: Sendable {
  public struct Settings: Sendable, Equatable {
    /// Factors drawn uniformly per utterance (Kaldi and ESPnet's 0.9, 1.0, 1.1); empty: none.
    public var speedFactors: [Double] = []
    /// The SNR range in dB, drawn uniformly; nil: no noise.
    public var noiseSNRDecibels: ClosedRange<Double>?
    /// The chance that an utterance gets noise at all.
    public var noiseProbability = 1.0
    /// The gain range in dB, drawn uniformly; nil: no gain.
    public var gainDecibels: ClosedRange<Double>?
    /// Seconds of silence before the clip, drawn uniformly; nil: none.
    public var startSilenceSeconds: ClosedRange<Double>?
    /// Seconds of silence after the clip, drawn uniformly; nil: none.
    public var endSilenceSeconds: ClosedRange<Double>?
    /// The chance that an utterance gets the silence at all.
    public var silenceProbability = 1.0

    public init() {}

    public var isEmpty: Bool {
      speedFactors.isEmpty && noiseSNRDecibels == nil && gainDecibels == nil && startSilenceSeconds == nil && endSilenceSeconds == nil
    }

    /// The most silence a clip can get, in samples (for memory planning).
    public var longestSilence: Int {
      SilencePadding.samples(seconds: startSilenceSeconds?.upperBound ?? 0) + SilencePadding.samples(seconds: endSilenceSeconds?.upperBound ?? 0)
    }

    /// "speed 0.9/1.0/1.1, gain -6…6 dB, noise at 10…30 dB SNR (white, p 0.5)"
    public func summary(noiseSource: String) -> String {
      var parts: [String] = []
      if !speedFactors.isEmpty { parts.append("speed " + speedFactors.map { "\($0)" }.joined(separator: "/")) }
      if startSilenceSeconds != nil || endSilenceSeconds != nil {
        let start = startSilenceSeconds.map { "\($0.lowerBound)…\($0.upperBound) s before" }
        let end = endSilenceSeconds.map { "\($0.lowerBound)…\($0.upperBound) s after" }
        parts.append("silence " + [start, end].compactMap { $0 }.joined(separator: ", ") + (silenceProbability < 1 ? " (probability \(silenceProbability))" : ""))
      }
      if let gain = gainDecibels { parts.append("gain \(gain.lowerBound)…\(gain.upperBound) dB") }
      if let snr = noiseSNRDecibels {
        parts.append("noise at \(snr.lowerBound)…\(snr.upperBound) dB SNR (\(noiseSource)\(noiseProbability < 1 ? ", probability \(noiseProbability)" : ""))")
      }
      return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
  }

  public let settings: Settings
  /// Recordings to draw noise from; nil: white Gaussian noise.
  public let noise: NoiseClips?
  public let seed: UInt64
  /// Per utterance of the training set, the factors it can train at (see `Dataset.prepare`).
  private let usableFactors: [[Double]]

  /// Fails, naming the utterance, when one of `dataset`'s utterances cannot train at any of the
  /// speed factors (a dataset prepared with `Options.speedFactors` has none such).
  public init(settings: Settings, noise: NoiseClips?, seed: UInt64, dataset: Dataset, model: Wav2Vec2Configuration) throws(DataError) {
    self.settings = settings
    self.noise = noise
    self.seed = seed
    var usable: [[Double]] = []
    for item in dataset.items {
      let factors = settings.speedFactors.filter { SpeedPerturbation.problem(factor: $0, samples: item.sampleCount, labels: item.labels, model: model) == nil }
      if factors.isEmpty && !settings.speedFactors.isEmpty {
        let reasons = settings.speedFactors.compactMap { SpeedPerturbation.problem(factor: $0, samples: item.sampleCount, labels: item.labels, model: model) }
        throw DataError(item.utterance.audioPath, "cannot train at any speed factor: " + reasons.joined(separator: "; "))
      }
      usable.append(factors)
    }
    usableFactors = usable
  }

  /// The speed factor of utterance `index` in `epoch` (1 without speed perturbation).
  public func speedFactor(index: Int, epoch: Int) -> Double {
    let factors = usableFactors[index]
    guard !factors.isEmpty else { return 1 }
    var random = Self.random(seed: seed, epoch: epoch, index: index, stream: .speed)
    return factors[Int(random.next() % UInt64(factors.count))]
  }

  /// The samples of silence utterance `index` gets before and after it in `epoch` (none
  /// without silence padding).
  public func silence(index: Int, epoch: Int) -> (start: Int, end: Int) {
    guard settings.startSilenceSeconds != nil || settings.endSilenceSeconds != nil else { return (0, 0) }
    var random = Self.random(seed: seed, epoch: epoch, index: index, stream: .silence)
    guard random.uniform() < settings.silenceProbability else { return (0, 0) }
    let start = settings.startSilenceSeconds.map { SilencePadding.samples(seconds: random.uniform(in: $0)) } ?? 0
    let end = settings.endSilenceSeconds.map { SilencePadding.samples(seconds: random.uniform(in: $0)) } ?? 0
    return (start, end)
  }

  /// The length utterance `index` of `samples` samples has after augmentation in `epoch`.
  public func length(index: Int, samples: Int, epoch: Int) -> Int {
    let silence = silence(index: index, epoch: epoch)
    return SpeedPerturbation.length(samples, factor: speedFactor(index: index, epoch: epoch)) + silence.start + silence.end
  }

  /// Utterance `index`'s clip as augmented in `epoch`.
  public func apply(_ samples: [Float], index: Int, epoch: Int, path: String = "<audio>") throws(AudioError) -> [Float] {
    var clip = try SpeedPerturbation.apply(samples, factor: speedFactor(index: index, epoch: epoch), path: path)
    let silence = silence(index: index, epoch: epoch)
    let speech = clip.count
    clip = SilencePadding.apply(clip, start: silence.start, end: silence.end)
    var random = Self.random(seed: seed, epoch: epoch, index: index, stream: .waveform)
    if let gain = settings.gainDecibels { clip = Gain.apply(clip, decibels: random.uniform(in: gain)) }
    if let snr = settings.noiseSNRDecibels, random.uniform() < settings.noiseProbability {
      let decibels = random.uniform(in: snr)
      // The SNR is the speech's: noise of the same power per sample over the silence too, not
      // the same energy spread thinner over a longer clip.
      let padded = SilencePadding.snrOffset(speech: speech, total: clip.count)
      clip = AdditiveNoise.add(noiseExcerpt(count: clip.count, random: &random), to: clip, snrDecibels: decibels + padded)
    }
    return clip
  }

  /// The batch loader's augmentation stage for one epoch of `dataset` (the set it was made for).
  public func stage(epoch: Int, dataset: Dataset) -> BatchLoader.Augment {
    let paths = dataset.items.map(\.utterance.audioPath)
    return { index, samples in try apply(samples, index: index, epoch: epoch, path: paths[index]) }
  }

  private func noiseExcerpt(count: Int, random: inout SeededRandom) -> [Float] {
    guard let noise, !noise.clips.isEmpty else { return AdditiveNoise.white(count: count, random: &random) }
    let clip = noise.clips[Int(random.next() % UInt64(noise.clips.count))]
    return AdditiveNoise.excerpt(of: clip, count: count, offset: Int(random.next() % UInt64(clip.count)))
  }

  enum Stream: UInt64 {
    case speed = 1
    case waveform = 2
    case silence = 3
  }

  /// A generator for one utterance in one epoch: the seed, the stream, the epoch and the index
  /// each pass through splitmix64 in turn, so that neighbouring values give unrelated streams.
  static func random(seed: UInt64, epoch: Int, index: Int, stream: Stream) -> SeededRandom {
    var state = seed
    for part in [stream.rawValue, UInt64(truncatingIfNeeded: epoch), UInt64(truncatingIfNeeded: index)] {
      var mixer = SeededRandom(seed: state ^ part)
      state = mixer.next()
    }
    return SeededRandom(seed: state)
  }
}

extension SeededRandom {
  /// Uniform in the closed range (its one value when it is a single point).
  mutating func uniform(in range: ClosedRange<Double>) -> Double {
    range.lowerBound == range.upperBound ? range.lowerBound : uniform(range.lowerBound, range.upperBound)
  }
}
