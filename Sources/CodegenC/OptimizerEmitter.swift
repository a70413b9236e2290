import IR

/// What a training graph's `asrc_train_step` updates: each parameter X that has a `grad.X`
/// output, and where the loss is.
public struct CTrainingInterface: Sendable, Equatable {
  public struct TrainedParameter: Sendable, Equatable {
    public var name: String
    /// Index in the step's `parameters`.
    public var parameter: Int
    /// Index in the step's `outputs` of `grad.<name>`.
    public var gradientOutput: Int
    /// The gradient is input or parameter memory, not the arena's: it is copied into the
    /// gradient-sum buffer before any weight is written, even for a lone micro-batch.
    public var gradientIsShared: Bool
  }

  /// Index in the step's `outputs` of `loss`.
  public var lossOutput: Int
  /// In the order of the graph's parameters, which is the order of every per-parameter
  /// array `asrc_train_step` takes.
  public var trained: [TrainedParameter]
}

/// The training step's C: `asrc_train_step` runs `asrc_model_step` on one micro-batch, adds its
/// gradients into the gradient-sum buffers (float32, as torch accumulates `.grad`), and on the
/// last micro-batch computes the global L2 norm (squares accumulated in double), skips the
/// update when the summed loss or the norm is not finite, clips as
/// `torch.nn.utils.clip_grad_norm_` and applies AdamW in place on the weights and moments.
///
/// The AdamW arithmetic is `AdamW.update`'s (Sources/Training/AdamW.swift), operation for
/// operation in float32 with the same double-precision scalars, and the library is built
/// without FP contraction, so C and Swift updates agree bit for bit given the same gradients.
/// Only the norm's summation order differs (eight partial sums per tensor, so the loop
/// vectorises), a difference at double rounding in a figure that is only compared and logged.
enum OptimizerEmitter {
  /// The trained parameters of a graph with a scalar f32 `loss` output and f32 `grad.X`
  /// outputs shaped as parameter X; nil for any other graph (no `asrc_train_step` then).
  static func interface(_ graph: Graph) -> CTrainingInterface? {
    guard let lossOutput = graph.outputs.firstIndex(where: { $0.name == "loss" }) else { return nil }
    let lossType = graph.type(of: graph.outputs[lossOutput].value)
    guard lossType.dtype == .f32, lossType.rank == 0 else { return nil }
    var outputIndex: [String: Int] = [:]
    for (index, output) in graph.outputs.enumerated() where outputIndex[output.name] == nil { outputIndex[output.name] = index }
    // Values that live outside the arena: inputs, parameters, and top-level reshapes of them.
    var external = Set(graph.inputs + graph.parameters)
    for node in graph.nodes where node.op == .reshape && node.region == nil && external.contains(node.operands[0]) { external.insert(node.result) }
    var trained: [CTrainingInterface.TrainedParameter] = []
    for (index, parameter) in graph.parameters.enumerated() {
      let name = graph.name(of: parameter)
      guard let output = outputIndex["grad." + name] else { continue }
      let (weights, gradient) = (graph.type(of: parameter), graph.type(of: graph.outputs[output].value))
      guard weights.dtype == .f32, gradient.dtype == .f32, weights.shape == gradient.shape else { return nil }
      trained.append(.init(name: name, parameter: index, gradientOutput: output, gradientIsShared: external.contains(graph.outputs[output].value)))
    }
    return trained.isEmpty ? nil : CTrainingInterface(lossOutput: lossOutput, trained: trained)
  }

  /// The helpers and `asrc_train_step`, appended to model.c after `asrc_model_step`.
  static func code(_ graph: Graph, _ training: CTrainingInterface, symbols: [String: Int]) -> String {
    let count = training.trained.count
    let w = CWriter()
    w.line(helpers)
    w.line("/* Trained parameters, in the order of every per-parameter array (see model.h). */")
    w.line("static const int32_t asrc_trained_parameter[\(count)] = { \(training.trained.map { "\($0.parameter)" }.joined(separator: ", ")) };")
    w.line("static const int32_t asrc_trained_gradient[\(count)] = { \(training.trained.map { "\($0.gradientOutput)" }.joined(separator: ", ")) };")
    w.line("static const uint8_t asrc_trained_gradient_is_shared[\(count)] = { \(training.trained.map { $0.gradientIsShared ? "1" : "0" }.joined(separator: ", ")) };")
    w.line("")
    w.open("int asrc_train_step(\(signature))")
    w.line("asrc_ctx context = { sizes, message, message_size };")
    w.line("asrc_ctx *ctx = &context;")
    for line in CNames.sizeConstants(symbols) { w.line(line) }
    w.line("*loss = NAN;")
    w.line("*grad_norm = NAN;")
    w.line("*updated = 0;")
    w.line("if (asrc_model_step(sizes, inputs, parameters, arena, offsets, outputs, message, message_size)) return -1;")
    w.line("*loss = loss_before + (double)*(const float *)outputs[\(training.lossOutput)];")
    w.line("const int64_t counts[\(count)] = {")
    for trained in training.trained {
      let type = graph.type(of: graph.parameters[trained.parameter])
      w.line("  \(CNames.product(type.shape.map { CNames.dim($0, symbols: symbols) })), // \(CNames.commentSafe(trained.name)): \(type)")
    }
    w.line("};")
    w.line("/* The step's gradient of each parameter: the sum buffer, or for a lone micro-batch the step's")
    w.line("   own output where it lies in the arena (no copy). */")
    w.line("const float *gradients[\(count)];")
    w.line("float *used_sums[\(count)];")
    w.open("for (int32_t t = 0; t < \(count); t++)")
    w.line("const float *gradient = (const float *)outputs[asrc_trained_gradient[t]];")
    w.line("float *sum = gradient_sums ? gradient_sums[t] : NULL;")
    w.line("int uses_sum = !(first && last) || asrc_trained_gradient_is_shared[t];")
    w.line("if (uses_sum && !sum) return asrc_fail(ctx, \"asrc_train_step: no gradient-sum buffer for trained parameter %d\", (int)t);")
    w.line("gradients[t] = uses_sum ? sum : gradient;")
    w.line("used_sums[t] = uses_sum ? sum : NULL;")
    w.close()
    w.line("/* One tensor per thread at a time (on the main thread alone, this and AdamW below were about")
    w.line("   2 % of the demo's step, by perf): each tensor's sum of squares is its own, and they are")
    w.line("   added in order after, so the norm does not depend on the threads. A parallel region costs")
    w.line("   microseconds, so there is no size threshold, and the tests' small models take this path. */")
    w.line("double tensor_squares[\(count)];")
    w.line("#pragma omp parallel for schedule(dynamic, 1)")
    w.open("for (int32_t t = 0; t < \(count); t++)")
    w.line("const float *gradient = (const float *)outputs[asrc_trained_gradient[t]];")
    w.line("float *sum = used_sums[t];")
    w.line("tensor_squares[t] = 0;")
    w.open("if (first)")
    w.line("if (sum) memcpy(sum, gradient, (size_t)counts[t] * sizeof(float));")
    w.line("if (last) tensor_squares[t] = asrc_train_squares(gradients[t], counts[t]);")
    w.close()
    w.line("else if (last) tensor_squares[t] = asrc_train_add_squares(sum, gradient, counts[t]);")
    w.line("else asrc_train_add(sum, gradient, counts[t]);")
    w.close()
    w.line("double squares = 0;")
    w.line("for (int32_t t = 0; t < \(count); t++) squares += tensor_squares[t];")
    w.line("if (!last) return 0;")
    w.line("/* f16 loss scaling: the gradients are gradient_scale times too large. The scale is a power of")
    w.line("   two, so dividing the norm and folding 1/scale into the coefficient are exact: the same")
    w.line("   numbers as unscaling every gradient first (GradScaler.unscale_), then clipping. */")
    w.line("double norm = sqrt(squares) / gradient_scale;")
    w.line("*grad_norm = norm;")
    w.line("/* A non-finite loss or norm skips the update: weights and moments stay as they were. */")
    w.line("if (!isfinite(*loss) || !isfinite(norm)) return 0;")
    w.line("/* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.")
    w.line("   An unclipped, unscaled step multiplies by exactly 1, which changes no gradient. */")
    w.line("float coefficient = 1.0f;")
    w.open("if (max_grad_norm > 0)")
    w.line("float clip = (float)(max_grad_norm / (norm + 1e-6));")
    w.line("if (clip < 1.0f) coefficient = clip;")
    w.close()
    w.line("coefficient *= (float)(1.0 / gradient_scale);")
    w.line("/* AdamW.update's scalars, in double, then rounded once to float. */")
    w.line("double correction1 = 1.0 - pow(beta1, (double)step);")
    w.line("double correction2_root = sqrt(1.0 - pow(beta2, (double)step));")
    w.line("asrc_adamw_scalars scalars = { (float)(learning_rate / correction1), (float)beta1, (float)beta2, (float)epsilon, (float)correction2_root, 1.0f };")
    w.open("for (int32_t t = 0; t < \(count); t++)")
    w.line("if (!decays || !first_moments || !second_moments || !updated_parameters || !first_moments[t] || !second_moments[t] || !updated_parameters[t])")
    w.line("  return asrc_fail(ctx, \"asrc_train_step: no moment or weight buffer for trained parameter %d\", (int)t);")
    w.close()
    w.line("/* Element by element, so the threads change nothing in the result. */")
    w.line("#pragma omp parallel for schedule(dynamic, 1)")
    w.open("for (int32_t t = 0; t < \(count); t++)")
    w.line("asrc_adamw_scalars own = scalars;")
    w.line("own.decay = (float)(1.0 - learning_rate * (decays[t] ? weight_decay : 0.0));")
    w.line("asrc_train_adamw((const float *)parameters[asrc_trained_parameter[t]], updated_parameters[t], gradients[t], first_moments[t],")
    w.line("                 second_moments[t], counts[t], coefficient, &own);")
    w.close()
    w.line("*updated = 1;")
    w.line("(void)ctx;")
    w.line("return 0;")
    w.close()
    return w.text
  }

  /// The parameters of `asrc_train_step`, in order (model.c and model.h spell it the same).
  static let signature = """
    const int64_t *sizes, const void *const *inputs, const void *const *parameters, void *arena,
                        const int64_t *offsets, void **outputs, float *const *gradient_sums, float *const *first_moments,
                        float *const *second_moments, float *const *updated_parameters, const uint8_t *decays, int32_t first,
                        int32_t last, int64_t step, double learning_rate, double beta1, double beta2, double epsilon,
                        double weight_decay, double max_grad_norm, double gradient_scale, double loss_before, double *loss, double *grad_norm,
                        int32_t *updated, char *message, size_t message_size
    """

  /// The loops over one parameter's elements. Sums of squares keep eight partial sums so the
  /// loop vectorises (a single double accumulator is one long dependency chain).
  static let helpers = """
    /* ---- Training step: gradient sums, global norm, clipping, AdamW (OptimizerEmitter) ---- */

    /* sum += gradient, in float32 as torch accumulates .grad over micro-batches. */
    static void asrc_train_add(float *restrict sum, const float *restrict gradient, int64_t count) {
      for (int64_t i = 0; i < count; i++) sum[i] = sum[i] + gradient[i];
    }

    /* Σ gradient², each term and the sum in double. */
    static double asrc_train_squares(const float *restrict gradient, int64_t count) {
      double lanes[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
      const int64_t whole = count / 8 * 8;
      for (int64_t i = 0; i < whole; i += 8)
        for (int k = 0; k < 8; k++) lanes[k] += (double)gradient[i + k] * (double)gradient[i + k];
      double total = 0;
      for (int k = 0; k < 8; k++) total += lanes[k];
      for (int64_t i = whole; i < count; i++) total += (double)gradient[i] * (double)gradient[i];
      return total;
    }

    /* sum += gradient (float32), returning Σ sum² of the new sums (double): one pass on the
       last micro-batch. */
    static double asrc_train_add_squares(float *restrict sum, const float *restrict gradient, int64_t count) {
      double lanes[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
      const int64_t whole = count / 8 * 8;
      for (int64_t i = 0; i < whole; i += 8)
        for (int k = 0; k < 8; k++) {
          float added = sum[i + k] + gradient[i + k];
          sum[i + k] = added;
          lanes[k] += (double)added * (double)added;
        }
      double total = 0;
      for (int k = 0; k < 8; k++) total += lanes[k];
      for (int64_t i = whole; i < count; i++) {
        float added = sum[i] + gradient[i];
        sum[i] = added;
        total += (double)added * (double)added;
      }
      return total;
    }

    /* AdamW.update's float32 scalars for one step (decay per parameter). */
    typedef struct {
      float step_size;       /* lr / (1 - beta1^step) */
      float beta1, beta2, epsilon;
      float root_correction; /* sqrt(1 - beta2^step) */
      float decay;           /* 1 - lr * weight_decay, or 1 without decay */
    } asrc_adamw_scalars;

    /* One parameter's AdamW update, as AdamW.update writes it: m += (g - m)(1 - b1);
       v = v b2 + (1 - b2) g g; w' = w decay - step_size m / (sqrt(v) / root_correction + eps).
       `weights` and `updated` may be the same memory (in place): each element is read before it
       is written. The library is built with -fno-math-errno, so sqrtf vectorises. */
    static void asrc_train_adamw(const float *weights, float *updated, const float *restrict gradient, float *restrict first,
                                 float *restrict second, int64_t count, float coefficient, const asrc_adamw_scalars *scalars) {
      const float step_size = scalars->step_size, b1 = scalars->beta1, b2 = scalars->beta2, eps = scalars->epsilon;
      const float root_correction = scalars->root_correction, decay = scalars->decay;
      const float keep1 = 1 - b1, keep2 = 1 - b2;
      for (int64_t i = 0; i < count; i++) {
        float g = gradient[i] * coefficient;
        float m = first[i] + (g - first[i]) * keep1;
        float v = second[i] * b2 + keep2 * g * g;
        first[i] = m;
        second[i] = v;
        float denominator = sqrtf(v) / root_correction + eps;
        updated[i] = weights[i] * decay - step_size * m / denominator;
      }
    }

    """

  /// model.h's declaration of `asrc_train_step` and the list of trained parameters.
  static func header(_ training: CTrainingInterface) -> String {
    let list = training.trained.enumerated().map { index, trained in
      " *   [\(index)] \(CNames.commentSafe(trained.name)) (parameter \(trained.parameter), output \(trained.gradientOutput))"
    }.joined(separator: "\n")
    return """

      /* One call of asrc_train_step per micro-batch runs asrc_model_step (the same first six
       * arguments) and then, over the trained parameters below:
       *   gradient_sums       per trained parameter, float[count]: micro-batch gradients add up here
       *                       (may be NULL when first and last, unless a gradient is input or
       *                       parameter memory)
       *   first_moments,      AdamW's moments, float[count] each, updated in place
       *   second_moments
       *   updated_parameters  where the new weights go: the parameter's own memory for an update in
       *                       place, or a buffer of the same size
       *   decays              1 where weight decay applies
       *   first, last         this micro-batch begins / ends the optimizer step
       *   step                the optimizer step this update makes, from 1 (bias correction)
       *   learning_rate, beta1, beta2, epsilon, weight_decay: AdamW's (torch.optim.AdamW)
       *   max_grad_norm       clip the global gradient norm to this; 0 does not clip
       *   gradient_scale      the f16 loss scale the gradients carry (a power of two; 1 without scaling)
       *   loss_before         the earlier micro-batches' losses, summed
       *   loss                receives loss_before + this micro-batch's loss
       *   grad_norm           receives the global L2 norm of the summed gradients (last only)
       *   updated             receives 1 when AdamW ran; 0 before the last micro-batch, and when the
       *                       summed loss or the norm is not finite (the step is skipped)
       * The gradient outputs stay readable in `outputs`, as after asrc_model_step.
       * Trained parameters (\(training.trained.count)):
      \(list)
       */
      #define ASRC_TRAINED_PARAMETER_COUNT \(training.trained.count)
      int asrc_train_step(\(signature));

      """
  }
}
