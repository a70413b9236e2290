import IR

/// dropout_mask (the interpreter's counter-based SplitMix64 stream, bit for bit) and the CTC
/// loss with its gradient (log-space alpha-beta in f64, as the interpreter and PyTorch).
enum LossEmitter {
  static let ops: Set<Op> = [.dropoutMask, .ctcLoss, .ctcLossGrad]

  static func emit(_ node: Node, operands: [CTensor], result: CTensor, _ w: CWriter, _ context: EmitContext) throws {
    let attributes = node.attributes
    switch node.op {
    case .dropoutMask:
      let p = try attributes.float("p")
      let stream = try attributes.int("stream")
      let seed = operands[1].pointer
      w.open("")
      w.line("const double p = \(CNames.literal(p, .f64));")
      w.line("const double keep = p >= 1 ? 0.0 : 1.0 / (1.0 - p);")
      w.line("const uint64_t key = asrc_mix((uint64_t)\(seed)[0] * UINT64_C(0x9E3779B97F4A7C15) ^ asrc_mix((uint64_t)INT64_C(\(stream)) + UINT64_C(0xD1B54A32D192ED03)));")
      w.open("for (int64_t i = 0; i < \(context.count(result.type)); i++)")
      w.line("const uint64_t bits = asrc_mix(key + (uint64_t)i * UINT64_C(0xBF58476D1CE4E5B9));")
      w.line("const double uniform = (double)(bits >> 11) * 0x1.0p-53;")
      w.line("\(result.pointer)[i] = (\(result.elementType))(uniform < p ? 0.0 : keep);")
      w.close()
      w.close()
    case .ctcLoss, .ctcLossGrad:
      let blank = try attributes.int("blank")
      let reduction = try attributes.string("reduction")
      let zeroInfinity = try attributes.bool("zero_infinity")
      let reductionCode = ["none": 0, "sum": 1, "mean": 2][reduction] ?? 2
      let logProbs = operands[0]
      let sizes = context.dims(logProbs.type)
      let labelWidth = context.dims(operands[2].type)[1]
      let type = logProbs.elementType
      w.open("")
      w.line("const int64_t batch = \(sizes[0]), frames = \(sizes[1]), classes = \(sizes[2]), label_width = \(labelWidth);")
      w.line("double *lp = (double *)asrc_alloc(batch * frames * classes * (int64_t)sizeof(double));")
      w.line("if (!lp) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
      w.line("for (int64_t i = 0; i < batch * frames * classes; i++) lp[i] = (double)\(logProbs.pointer)[i];")
      if node.op == .ctcLoss {
        let count = reduction == "none" ? "batch" : "1"
        w.line("double *losses = (double *)asrc_alloc(\(count) * (int64_t)sizeof(double));")
        w.line("int failed = !losses || asrc_ctc(ctx, lp, batch, frames, classes, \(operands[1].pointer), \(operands[2].pointer), label_width, \(blank), \(reductionCode), \(zeroInfinity ? 1 : 0), losses, NULL, NULL);")
        w.line("if (!failed) for (int64_t i = 0; i < \(count); i++) \(result.pointer)[i] = (\(type))losses[i];")
        w.line("free(losses);")
      } else {
        let upstream = operands[3]
        let upstreamCount = reduction == "none" ? "batch" : "1"
        w.line("double *upstream = (double *)asrc_alloc(\(upstreamCount) * (int64_t)sizeof(double));")
        w.line("double *grad = (double *)asrc_alloc(batch * frames * classes * (int64_t)sizeof(double));")
        w.line("int failed = !upstream || !grad;")
        w.line("if (!failed) for (int64_t i = 0; i < \(upstreamCount); i++) upstream[i] = (double)\(upstream.pointer)[i];")
        w.line("if (!failed) failed = asrc_ctc(ctx, lp, batch, frames, classes, \(operands[1].pointer), \(operands[2].pointer), label_width, \(blank), \(reductionCode), \(zeroInfinity ? 1 : 0), NULL, upstream, grad);")
        w.line("if (!failed) for (int64_t i = 0; i < batch * frames * classes; i++) \(result.pointer)[i] = (\(type))grad[i];")
        w.line("free(upstream);")
        w.line("free(grad);")
      }
      w.line("free(lp);")
      w.line("if (failed) { status = -1; goto done; }")
      w.close()
    default:
      throw CodegenCError.unsupported(op: node.op, value: context.name(node.result), reason: "not a loss or random op")
    }
  }

  /// SplitMix64's finaliser (the interpreter's `RandomKernels.mix`).
  static let mixPrelude = """
    static inline uint64_t asrc_mix(uint64_t z) {
      z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
      z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
      return z ^ (z >> 31);
    }

    """

  /// The CTC recursions of the interpreter's CTCKernels, in C. Either `losses` (the loss,
  /// reduced) or `upstream` and `grad` (the gradient) are given. Returns nonzero with a message
  /// for a length or label out of range (as the interpreter reports them).
  static let ctcPrelude = """
    static double asrc_log_add(double a, double b) {
      if (a == -INFINITY) return b;
      if (b == -INFINITY) return a;
      return (a > b ? a : b) + log1p(exp(-fabs(a - b)));
    }

    static int asrc_ctc(asrc_ctx *ctx, const double *lp, int64_t batch, int64_t frames, int64_t classes,
                        const int64_t *input_lengths, const int64_t *labels, int64_t label_width, int64_t blank,
                        int reduction /* 0 none, 1 sum, 2 mean */, int zero_infinity,
                        double *losses, const double *upstream, double *grad) {
      double *nlls = (double *)asrc_alloc(batch * (int64_t)sizeof(double));
      int64_t *label_counts = (int64_t *)asrc_alloc(batch * (int64_t)sizeof(int64_t));
      int status = 0, out_of_memory = 0;
      if (!nlls || !label_counts) { status = asrc_fail(ctx, "out of memory"); goto finish; }
      /* Check every sample first, as the interpreter reads them all before computing. */
      for (int64_t b = 0; b < batch; b++) {
        const int64_t length = input_lengths[b];
        if (length < 0 || length > frames) {
          status = asrc_fail(ctx, "ctc_loss: input length %lld of sample %lld is outside 0...%lld", (long long)length, (long long)b, (long long)frames);
          goto finish;
        }
        for (int64_t j = 0; j < label_width; j++) {
          const int64_t label = labels[b * label_width + j];
          if (label >= classes) {
            status = asrc_fail(ctx, "ctc_loss: label %lld in sample %lld is not below the %lld classes", (long long)label, (long long)b, (long long)classes);
            goto finish;
          }
        }
      }
      if (grad) for (int64_t i = 0; i < batch * frames * classes; i++) grad[i] = 0;
      /* One sample per thread at a time, each with its own lattices: the samples are independent,
         and the sums over them are taken in order afterwards, so the result does not depend on
         the threads. */
      #pragma omp parallel if(batch > 1 && batch * frames * (2 * label_width + 1) >= 4096)
      {
      int64_t *row = (int64_t *)asrc_alloc(label_width * (int64_t)sizeof(int64_t));
      int64_t *ext = (int64_t *)asrc_alloc((2 * label_width + 1) * (int64_t)sizeof(int64_t));
      double *alpha = (double *)asrc_alloc((frames * (2 * label_width + 1) + 1) * (int64_t)sizeof(double));
      double *beta = (double *)asrc_alloc((frames * (2 * label_width + 1) + 1) * (int64_t)sizeof(double));
      double *occupancy = (double *)asrc_alloc(classes * (int64_t)sizeof(double));
      const int ready = row && ext && alpha && beta && occupancy;
      if (!ready) {
        #pragma omp atomic write
        out_of_memory = 1;
      }
      #pragma omp for schedule(dynamic, 1)
      for (int64_t b = 0; b < batch; b++) {
        if (!ready) continue;
        const int64_t t_count = input_lengths[b];
        int64_t label_count = 0;
        for (int64_t j = 0; j < label_width; j++) if (labels[b * label_width + j] >= 0) row[label_count++] = labels[b * label_width + j];
        label_counts[b] = label_count;
        const int64_t count = 2 * label_count + 1;
        for (int64_t s = 0; s < count; s++) ext[s] = s % 2 == 0 ? blank : row[s / 2];
        const double *probs = lp + b * frames * classes;
        for (int64_t i = 0; i < t_count * count + 1; i++) alpha[i] = -INFINITY;
        if (t_count > 0) {
          alpha[0] = probs[blank];
          if (count > 1) alpha[1] = probs[ext[1]];
          for (int64_t t = 1; t < t_count; t++) {
            for (int64_t s = 0; s < count; s++) {
              const int64_t symbol = ext[s];
              double total = alpha[(t - 1) * count + s];
              if (s >= 1) total = asrc_log_add(total, alpha[(t - 1) * count + s - 1]);
              if (s >= 2 && symbol != blank && symbol != ext[s - 2]) total = asrc_log_add(total, alpha[(t - 1) * count + s - 2]);
              alpha[t * count + s] = total == -INFINITY ? -INFINITY : total + probs[t * classes + symbol];
            }
          }
        }
        double nll = INFINITY;
        if (t_count > 0) {
          const int64_t last = (t_count - 1) * count;
          double total = alpha[last + count - 1];
          if (count > 1) total = asrc_log_add(total, alpha[last + count - 2]);
          nll = -total;
        }
        nlls[b] = nll;
        if (!grad) continue;
        if (!isfinite(nll)) {
          if (!zero_infinity)
            for (int64_t t = 0; t < t_count; t++) for (int64_t c = 0; c < classes; c++) grad[(b * frames + t) * classes + c] = NAN;
          continue;
        }
        for (int64_t i = 0; i < t_count * count + 1; i++) beta[i] = -INFINITY;
        const int64_t last = t_count - 1;
        beta[last * count + count - 1] = probs[last * classes + ext[count - 1]];
        if (count > 1) beta[last * count + count - 2] = probs[last * classes + ext[count - 2]];
        for (int64_t t = t_count - 2; t >= 0; t--) {
          for (int64_t s = 0; s < count; s++) {
            const int64_t symbol = ext[s];
            double total = beta[(t + 1) * count + s];
            if (s + 1 < count) total = asrc_log_add(total, beta[(t + 1) * count + s + 1]);
            if (s + 2 < count && symbol != blank && symbol != ext[s + 2]) total = asrc_log_add(total, beta[(t + 1) * count + s + 2]);
            beta[t * count + s] = total == -INFINITY ? -INFINITY : total + probs[t * classes + symbol];
          }
        }
        const double scale = reduction == 2 ? 1.0 / (double)(label_count > 1 ? label_count : 1) / (double)batch : 1.0;
        const double factor = (reduction == 0 ? upstream[b] : upstream[0]) * scale;
        for (int64_t t = 0; t < t_count; t++) {
          for (int64_t c = 0; c < classes; c++) occupancy[c] = -INFINITY;
          for (int64_t s = 0; s < count; s++) occupancy[ext[s]] = asrc_log_add(occupancy[ext[s]], alpha[t * count + s] + beta[t * count + s]);
          for (int64_t c = 0; c < classes; c++) {
            if (occupancy[c] == -INFINITY) continue;
            grad[(b * frames + t) * classes + c] = -exp(occupancy[c] - probs[t * classes + c] + nll) * factor;
          }
        }
      }
      free(row); free(ext); free(alpha); free(beta); free(occupancy);
      }
      if (out_of_memory) { status = asrc_fail(ctx, "out of memory"); goto finish; }
      if (losses) {
        if (reduction == 0) {
          for (int64_t b = 0; b < batch; b++) losses[b] = zero_infinity && isinf(nlls[b]) ? 0 : nlls[b];
        } else {
          double total = 0;
          for (int64_t b = 0; b < batch; b++) {
            const double nll = zero_infinity && isinf(nlls[b]) ? 0 : nlls[b];
            total += reduction == 2 ? nll / (double)(label_counts[b] > 1 ? label_counts[b] : 1) : nll;
          }
          losses[0] = reduction == 2 ? total / (double)(batch > 1 ? batch : 1) : total;
        }
      }
    finish:
      free(nlls); free(label_counts);
      return status;
    }

    """
}
