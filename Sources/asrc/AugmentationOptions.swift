import ArgumentParser
import Foundation
import Training

/// `asrc train`'s data augmentation options, named as speech toolkits name them (Kaldi and
/// ESPnet's speed perturbation, additive noise at an SNR, gain). They change the training
/// clips only, never the evaluation's.
struct AugmentationOptions: ParsableArguments {
  // Read unconditionally, so that a negative value (`--gain-db -6,6`) is not taken for an option.
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Speed perturbation: one factor drawn per utterance and epoch from this list, e.g. 0.9,1.0,1.1 (Kaldi and ESPnet's), resampled through soxr as sox speed (1.1: shorter and higher).",
      valueName: "F1,F2,..."),
    transform: numbers)
  var speedPerturb: [Double]?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Add noise at an SNR drawn uniformly from MIN to MAX dB (one value: a fixed SNR); white Gaussian noise unless --noise-dir.", valueName: "MIN,MAX"),
    transform: numbers)
  var noiseSnrDb: [Double]?
  @Option(help: ArgumentHelp("Draw the noise from the audio files under this folder (any depth), looped or cropped to each clip.", valueName: "DIR"))
  var noiseDir: String?
  @Option(parsing: .unconditional, help: ArgumentHelp("The chance that an utterance gets noise (default 1 with --noise-snr-db).", valueName: "P"))
  var noiseProb: Double?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Scale each clip by a gain drawn uniformly from MIN to MAX dB, clamped to full scale as torchaudio's Vol (one value: a fixed gain).", valueName: "MIN,MAX"),
    transform: numbers)
  var gainDb: [Double]?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Add silence (zeros) before each clip, seconds drawn uniformly from MIN to MAX, as NeMo's SilencePerturbation (one value: a fixed length).", valueName: "MIN,MAX"),
    transform: numbers)
  var startSilence: [Double]?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Add silence after each clip, seconds drawn uniformly from MIN to MAX (one value: a fixed length).", valueName: "MIN,MAX"),
    transform: numbers)
  var endSilence: [Double]?
  @Option(parsing: .unconditional, help: ArgumentHelp("The chance that an utterance gets the silence (default 1 with --start-silence or --end-silence).", valueName: "P"))
  var silenceProb: Double?

  /// Sets the augmentation fields of `arguments`.
  func apply(to arguments: inout TrainingArguments) {
    arguments.speedPerturb = speedPerturb
    arguments.noiseSnrDb = noiseSnrDb.map(Self.range)
    arguments.noiseDir = noiseDir
    arguments.noiseProb = noiseProb
    arguments.gainDb = gainDb.map(Self.range)
    arguments.startSilence = startSilence.map(Self.range)
    arguments.endSilence = endSilence.map(Self.range)
    arguments.silenceProb = silenceProb
  }

  /// One value stands for a range of one point.
  private static func range(_ values: [Double]) -> [Double] { values.count == 1 ? [values[0], values[0]] : values }
}

/// "0.9,1.0,1.1" as numbers; anything else is a usage error that quotes the bad part.
private func numbers(_ text: String) throws -> [Double] {
  try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
    let trimmed = part.trimmingCharacters(in: .whitespaces)
    guard let value = Double(trimmed) else {
      throw ValidationError("'\(trimmed)' is not a number (expected comma-separated numbers, e.g. 0.9,1.0,1.1)")
    }
    return value
  }
}
