import CSoxr

/// Sample-rate conversion through libsoxr at its "HQ" recipe (20-bit quality), float32 in and out,
/// the way python-soxr's `resample(x, in_rate, out_rate, quality="HQ")` calls it.
public enum Resampler {
  public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int, path: String = "<audio>") throws(AudioError) -> [Float] {
    guard inputRate != outputRate else { return samples }
    guard inputRate > 0, outputRate > 0 else { throw AudioError(path, "cannot resample from \(inputRate) Hz to \(outputRate) Hz") }
    guard !samples.isEmpty else { return [] }
    let ratio = Double(outputRate) / Double(inputRate)
    // The output length python-soxr allocates: ceil(input · ratio); soxr reports how much it wrote.
    let capacity = Int((Double(samples.count) * ratio).rounded(.up)) + 1
    var output = [Float](repeating: 0, count: capacity)
    var written = 0
    var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
    let error: soxr_error_t? = samples.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { out in
        soxr_oneshot(
          Double(inputRate), Double(outputRate), 1, input.baseAddress, samples.count, nil, out.baseAddress, capacity, &written,
          &ioSpec, &qualitySpec, nil)
      }
    }
    if let error { throw AudioError(path, "resampling from \(inputRate) Hz failed: \(String(cString: error))") }
    return Array(output.prefix(written))
  }
}
