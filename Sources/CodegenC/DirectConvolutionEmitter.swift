import IR

/// An f32 conv1d whose sum per output element is short (channels per group × kernel at most
/// `maximumTaps`), computed directly instead of by im2col + GEMM: the feature encoder's first
/// convolution (1 channel, kernel 10, stride 5 over the raw samples).
///
/// A GEMM with 10 as its inner dimension runs far below the machine's rate: on 2 AVX2 cores
/// the demo's first convolution (6 × 2 s clips) took 8–12 ms a step through oneDNN's threaded
/// sgemm (5 ms on one thread), the direct loops 3.8–4.1 ms. Each output row sums its taps in
/// the GEMM's order, channel by channel and tap by tap, one multiply-add each from zero, then
/// adds the bias as the GEMM path does. On that machine the results equal oneDNN's bit for bit
/// except in the last output column when the output length leaves 1 by 8 (oneDNN's tail kernel
/// sums in another order).
///
/// Strided input makes the taps of neighbouring outputs `stride` elements apart, which does
/// not vectorise. So the padded input is first split into `stride` phases: phase r holds
/// padded positions r, r + stride, r + 2 stride, ...; tap k of output t is then element
/// t + (k·dilation) / stride of phase (k·dilation) mod stride, and the loop over t reads
/// every phase contiguously.
///
///     // %conv = conv1d(%x, %w) {stride = 5, padding = 0, ...} : f32[B, 128, (S - 10) / 5 + 1]
///     phases[n, c, r, j] = x[n, c, j·stride + r - padding]  (0 outside the input)
///     y[n, f, t] = Σ_c Σ_k w[f, c, k] · phases[n, g·cpg + c, (k·d) mod stride, t + (k·d) / stride]
enum DirectConvolutionEmitter {
  /// Up to this many products per output element the direct loops beat the GEMM. The small
  /// model's other feature-encoder convolutions sum 128 × 3 or 128 × 2 products and the
  /// positional one 24 × 64; those run faster as matrix products (`FloatConvolutionPrelude`,
  /// else im2col + GEMM).
  static let maximumTaps = 32

  /// Whether `node` takes the direct loops: a conv1d of f32 input and weight (half ones go
  /// through the half GEMM, f64 ones keep OpenBLAS's dgemm) with few taps.
  static func applies(to node: Node, input: TensorType, weight: TensorType) -> Bool {
    guard node.op == .conv1d, input.dtype == .f32, weight.dtype == .f32, weight.rank == 3,
      let channels = weight.shape[1].constantValue, let kernel = weight.shape[2].constantValue
    else { return false }
    return channels * kernel <= maximumTaps
  }

  /// Emits the convolution into the caller's block, where the geometry constants (`batch`,
  /// `channels`, `length`, `filters`, `kernel`, `out_length`, `stride`, `padding`, `dilation`,
  /// `groups`, `channels_per_group`, `filters_per_group`, `column_rows`) are declared.
  static func emit(_ node: Node, input: String, weight: String, bias: String?, result: String, _ w: CWriter, _ context: EmitContext) {
    let name = CNames.identifier(context.name(node.result))
    w.comment("direct convolution (\(maximumTaps) taps or fewer): the padded input split into stride phases, then one sum per output")
    w.line("const int64_t reach = ((kernel - 1) * dilation) / stride, phase_length = out_length + reach;")
    w.line("const int64_t phases_count = batch * channels * stride * phase_length;")
    w.line("float *phases = (float *)asrc_scratch(phases_count * (int64_t)sizeof(float));")
    w.line("if (!phases && phases_count > 0) { status = asrc_fail(ctx, \"out of memory for the input phases of %s\", \"\(name)\"); goto done; }")
    w.line("#pragma omp parallel for if(phases_count >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t row = 0; row < batch * channels; row++)")
    w.line("const float *restrict source = \(input) + row * length;")
    w.open("for (int64_t r = 0; r < stride; r++)")
    w.line("float *restrict phase = phases + (row * stride + r) * phase_length;")
    w.open("for (int64_t j = 0; j < phase_length; j++)")
    w.line("const int64_t position = j * stride + r - padding;")
    w.line("phase[j] = position >= 0 && position < length ? source[position] : 0.0f;")
    w.close()
    w.close()
    w.close()
    w.line("#pragma omp parallel for if(batch * filters * out_length >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t item = 0; item < batch * filters; item++)")
    w.line("const int64_t n = item / filters, f = item % filters, group = f / filters_per_group;")
    w.line("const float *restrict taps = \(weight) + f * column_rows;")
    w.line("const float *restrict first_phase = phases + (n * channels + group * channels_per_group) * stride * phase_length;")
    w.line("float *restrict out = \(result) + item * out_length;")
    w.line("#pragma omp simd")
    w.open("for (int64_t t = 0; t < out_length; t++)")
    w.line("float sum = 0.0f;")
    w.open("for (int64_t c = 0; c < channels_per_group; c++)")
    w.open("for (int64_t k = 0; k < kernel; k++)")
    w.line("const int64_t offset = k * dilation;")
    w.line("sum = ASRC_MADDF(taps[c * kernel + k], first_phase[(c * stride + offset % stride) * phase_length + t + offset / stride], sum);")
    w.close()
    w.close()
    w.line(bias.map { "out[t] = sum + \($0)[f];" } ?? "out[t] = sum;")
    w.close()
    w.close()
  }
}
