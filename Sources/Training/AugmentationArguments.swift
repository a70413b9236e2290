import Data

/// The augmentation options of TrainingArguments as the data pipeline takes them, and their checks.
extension TrainingArguments {
  /// The settings of the training clips' augmentation (empty when none is asked for).
  public var augmentation: WaveformAugmenter.Settings {
    var settings = WaveformAugmenter.Settings()
    settings.speedFactors = speedPerturb ?? []
    if let range = noiseSnrDb, range.count == 2, range[0] <= range[1] { settings.noiseSNRDecibels = range[0]...range[1] }
    settings.noiseProbability = noiseProb ?? 1
    if let range = gainDb, range.count == 2, range[0] <= range[1] { settings.gainDecibels = range[0]...range[1] }
    if let range = startSilence, range.count == 2, range[0] <= range[1] { settings.startSilenceSeconds = range[0]...range[1] }
    if let range = endSilence, range.count == 2, range[0] <= range[1] { settings.endSilenceSeconds = range[0]...range[1] }
    settings.silenceProbability = silenceProb ?? 1
    return settings
  }

  /// One message per unusable augmentation option, named as `asrc train` spells it.
  var augmentationProblems: [String] {
    var problems: [String] = []
    if let factors = speedPerturb {
      if factors.isEmpty { problems.append("--speed-perturb needs at least one factor (e.g. 0.9,1.0,1.1)") }
      for factor in factors where !(factor > 0 && factor.isFinite) {
        problems.append("--speed-perturb factors must be positive, not \(factor)")
      }
    }
    problems += rangeProblems(noiseSnrDb, option: "noise-snr-db")
    problems += rangeProblems(gainDb, option: "gain-db")
    for (range, option) in [(startSilence, "start-silence"), (endSilence, "end-silence")] {
      problems += rangeProblems(range, option: option, unit: "seconds")
      if let range, range.count == 2, range.allSatisfy(\.isFinite) {
        if range[0] < 0 { problems.append("--\(option) must not be negative, not \(range[0])") }
        if range[1] > Self.longestSilence { problems.append("--\(option) takes at most \(Self.longestSilence) seconds, not \(range[1])") }
      }
    }
    if let silenceProb {
      if !(0...1).contains(silenceProb) { problems.append("--silence-prob must be in [0, 1], not \(silenceProb)") }
      if startSilence == nil && endSilence == nil { problems.append("--silence-prob needs --start-silence or --end-silence (the seconds of silence to add)") }
    }
    if let noiseProb, !(0...1).contains(noiseProb) { problems.append("--noise-prob must be in [0, 1], not \(noiseProb)") }
    if noiseSnrDb == nil {
      if noiseProb != nil { problems.append("--noise-prob needs --noise-snr-db (the SNR range of the noise to add)") }
      if noiseDir != nil { problems.append("--noise-dir needs --noise-snr-db (the SNR range of the noise to add)") }
    }
    return problems
  }

  /// The most silence `--start-silence` or `--end-silence` may add: a pause, not a recording of
  /// its own (and far from the sample counts that would overflow).
  static let longestSilence = 30.0

  private func rangeProblems(_ range: [Double]?, option: String, unit: String = "dB") -> [String] {
    guard let range else { return [] }
    let text = range.map { "\($0)" }.joined(separator: ",")
    guard range.count == 2 else { return ["--\(option) takes MIN,MAX in \(unit), not \(text)"] }
    guard range.allSatisfy(\.isFinite) else { return ["--\(option) must be finite, not \(text)"] }
    return range[0] <= range[1] ? [] : ["--\(option) MIN,MAX must have MIN ≤ MAX, not \(text)"]
  }
}
