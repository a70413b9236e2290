import CSoxr

/// Sample-rate conversion through libsoxr at its "HQ" recipe (20-bit quality), float32 in and out,
/// the way python-soxr's `resample(x, in_rate, out_rate, quality="HQ")` calls it.
public enum Resampler {
  public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int, path: String = "<audio>") throws(AudioError) -> [Float] {
    guard inputRate != outputRate else { return samples }
    guard inputRate > 0, outputRate > 0 else { throw AudioError(path, "cannot resample from \(inputRate) Hz to \(outputRate) Hz") }
    return try resample(samples, fromRate: Double(inputRate), toRate: Double(outputRate), path: path)
  }

  /// The same at rates that need not be whole numbers: speed perturbation reads 16 kHz audio as
  /// if it were sampled at 16000 · factor Hz (python-soxr takes float rates the same way).
  public static func resample(_ samples: [Float], fromRate inputRate: Double, toRate outputRate: Double, path: String = "<audio>") throws(AudioError) -> [Float] {
    guard inputRate > 0, outputRate > 0, inputRate.isFinite, outputRate.isFinite else {
      throw AudioError(path, "cannot resample from \(hertz(inputRate)) Hz to \(hertz(outputRate)) Hz")
    }
    guard inputRate != outputRate else { return samples }
    guard !samples.isEmpty else { return [] }
    let ratio = outputRate / inputRate
    // The output length python-soxr allocates: ceil(input · ratio); soxr reports how much it wrote.
    let capacity = Int((Double(samples.count) * ratio).rounded(.up)) + 1
    var output = [Float](repeating: 0, count: capacity)
    var written = 0
    var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
    let error: soxr_error_t? = samples.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { out in
        soxr_oneshot(inputRate, outputRate, 1, input.baseAddress, samples.count, nil, out.baseAddress, capacity, &written, &ioSpec, &qualitySpec, nil)
      }
    }
    if let error { throw AudioError(path, "resampling from \(hertz(inputRate)) Hz failed: \(String(cString: error))") }
    return Array(output.prefix(written))
  }

  /// A rate as written in messages: whole rates without a fraction ("22050", "17600.5").
  private static func hertz(_ rate: Double) -> String {
    rate.isFinite && rate == rate.rounded() && abs(rate) < 1e15 ? String(Int(rate)) : String(rate)
  }

  /// The number of samples soxr writes for `count` input samples: round half up of count · ratio
  /// (python-soxr's output length, checked over the audio fixtures and a sweep of lengths).
  public static func outputLength(_ count: Int, fromRate inputRate: Double, toRate outputRate: Double) -> Int {
    guard inputRate != outputRate else { return count }
    return Int((Double(count) * outputRate / inputRate + 0.5).rounded(.down))
  }
}
