import Audio
import Models

/// Speed perturbation as Kaldi and ESPnet do it (`sox speed`): a 16 kHz clip is read as if it
/// were sampled at 16000 · factor Hz and resampled to 16 kHz through libsoxr (python-soxr's
/// `resample(x, 16000 * factor, 16000)`), so a factor of 1.1 makes it 1.1 times shorter and
/// raises its pitch by the same ratio. Transcripts stay as they are.
public enum SpeedPerturbation {
  static let sampleRate = 16000.0

  public static func apply(_ samples: [Float], factor: Double, path: String = "<audio>") throws(AudioError) -> [Float] {
    guard factor != 1 else { return samples }
    return try Resampler.resample(samples, fromRate: sampleRate * factor, toRate: sampleRate, path: path)
  }

  /// The length `apply` gives a clip of `count` samples (soxr's round half up of count / factor).
  public static func length(_ count: Int, factor: Double) -> Int {
    factor == 1 ? count : Resampler.outputLength(count, fromRate: sampleRate * factor, toRate: sampleRate)
  }

  /// Why an utterance cannot train at `factor`, or nil when it can: the perturbed clip must still
  /// cover the model's receptive field and yield the frames CTC needs for the labels (the checks
  /// `Dataset.prepare` makes at the original speed).
  public static func problem(factor: Double, samples: Int, labels: [Int], model: Wav2Vec2Configuration) -> String? {
    let perturbed = length(samples, factor: factor)
    if perturbed < model.receptiveField {
      return "at speed \(factor) the audio is shorter than the model's receptive field (\(perturbed) samples < \(model.receptiveField))"
    }
    let frames = model.frameCount(samples: perturbed)
    let needed = Dataset.framesNeeded(labels)
    return needed > frames ? "at speed \(factor) the transcript is too long for the audio: CTC needs \(needed) frames, the audio yields \(frames)" : nil
  }
}
