import Data
import Models
import Passes

/// The Trainer's settings, named after Hugging Face TrainingArguments; defaults follow the
/// fine-tuning guide (batch 16, learning rate 1e-4, weight decay 0.005, 3 epochs, grouping by
/// length, evaluation and saving every 500 steps, at most 2 checkpoints kept).
public struct TrainingArguments: Sendable, Codable, Equatable {
  public var outputDir: String
  public var perDeviceTrainBatchSize = 16
  public var perDeviceEvalBatchSize = 16
  public var learningRate = 1e-4
  public var weightDecay = 0.005
  public var adamBeta1 = 0.9
  public var adamBeta2 = 0.999
  public var adamEpsilon = 1e-8
  /// Warm-up steps, or below 1 a ratio of the total (transformers 5.x's warmup_steps).
  public var warmupSteps = 0.0
  /// transformers 4.x's warm-up ratio; as there, a positive `warmupSteps` wins over it.
  public var warmupRatio: Double?
  public var lrSchedulerType = "linear"
  public var maxGradNorm = 1.0
  public var numTrainEpochs = 3.0
  /// Overrides the epochs when positive.
  public var maxSteps = -1
  public var groupByLength = true
  /// Keep the dataset's order (no shuffling, no length grouping).
  public var noShuffle = false
  public var evalSteps = 500
  public var saveSteps = 500
  public var saveTotalLimit = 2
  public var loggingSteps = 500
  public var seed = 42
  public var freezeFeatureEncoder = false
  /// Parameters, or modules by their dotted names, that training leaves as they are (ESPnet's
  /// freeze_param; FrozenParameters); nil: none besides the feature encoder when it is frozen.
  public var freezeParam: [String]?

  /// What these arguments freeze.
  public var frozenParameters: FrozenParameters { FrozenParameters(featureEncoder: freezeFeatureEncoder, prefixes: freezeParam ?? []) }
  /// Recompute activations in the backward instead of keeping them (the checkpoint pass,
  /// `checkpoint=layers`, as transformers' gradient_checkpointing checkpoints every layer).
  public var gradientCheckpointing = false
  /// Mixed precision: f16 products with dynamic loss scaling (TrainingArguments' fp16).
  public var fp16 = false
  /// Mixed precision: bf16 products (TrainingArguments' bf16).
  public var bf16 = false

  /// The low precision these arguments ask for; nil for f32.
  public var lowPrecision: LowPrecision? { fp16 ? .fp16 : bf16 ? .bf16 : nil }
  /// With gradient checkpointing: recompute until the planned peak of the longest training
  /// batch fits this many bytes (`checkpoint=budget:BYTES`) instead of checkpointing every layer.
  public var memoryBudget: Int?

  /// The checkpoint strategy these arguments ask for; nil without gradient checkpointing.
  public var checkpointStrategy: CheckpointStrategy? {
    guard gradientCheckpointing || memoryBudget != nil else { return nil }
    return memoryBudget.map { .budget(bytes: $0) } ?? .layers
  }
  public var resumeFromCheckpoint: String?
  /// Batches decoded ahead of the step (the loader's prefetch depth).
  public var dataloaderNumWorkers = 2
  /// Training batches' audio padded to a multiple of this many samples (the guide's collator's
  /// `pad_to_multiple_of`); nil: to the longest clip.
  public var padToMultipleOf: Int?
  public var minDurationSeconds: Double?
  public var maxDurationSeconds: Double?
  /// Evaluate on padded batches even for models without an attention mask (transformers' exact
  /// batched numbers); otherwise the metrics do not depend on the evaluation batch size.
  public var evalPaddedBatches = false
  /// Train into an output folder that holds another run's checkpoints (they are kept).
  public var overwriteOutputDir = false
  /// Log the first step too (TrainingArguments' logging_first_step, on here so that a long run
  /// shows its loss at once).
  public var loggingFirstStep = true
  /// Evaluate once before the first step (transformers' eval_on_start).
  public var evalOnStart = false
  /// Leave out the last batch of an epoch when it is smaller than the batch size.
  public var dataloaderDropLast = false
  /// Seeds the sampler's shuffling on its own (transformers' data_seed); nil: `seed`.
  public var dataSeed: Int?
  /// A name for the run, recorded in training_args.json and printed at the start.
  public var runName: String?
  /// Micro-batches whose gradients are summed into one optimizer step.
  public var gradientAccumulationSteps = 1
  /// When to evaluate, save and log: every N steps (the guide's choice), at each epoch's end, or never.
  public var evalStrategy = IntervalStrategy.steps
  public var saveStrategy = SaveStrategy.steps
  public var loggingStrategy = IntervalStrategy.steps
  /// No evaluation before this many steps (steps strategy) or epochs (epoch strategy).
  public var evalDelay = 0.0
  /// At the end, train's output is the best checkpoint's model rather than the last step's.
  public var loadBestModelAtEnd = false
  /// loss, wer or cer (with or without eval_); nil: loss when a best model is needed.
  public var metricForBestModel: String?
  /// nil: false for losses and error rates, true otherwise.
  public var greaterIsBetter: Bool?
  /// Where the run's logs also go (report_to): TensorBoard event files, or nowhere.
  public var reportTo: [Integration] = []
  /// TensorBoard's folder (transformers 4.x's logging_dir). nil: the folder of the run a resumed
  /// run continues, else `OUTPUT_DIR/runs/<Mon><DD>_<HH>-<MM>-<SS>_<host>`; the trainer records
  /// the folder it chose here, so that checkpoints' training_args.json name it.
  public var loggingDir: String?

  /// The integrations report_to can name (`all` is every one of them, `none` none).
  public enum Integration: String, Sendable, Codable, CaseIterable { case tensorboard }

  // Data augmentation of the training clips (never of evaluation), on the 16 kHz waveforms
  // before normalisation; see WaveformAugmenter. Named as speech toolkits name them.
  /// Speed perturbation factors, one drawn per utterance and epoch (Kaldi and ESPnet's
  /// 0.9, 1.0, 1.1, resampled through soxr as `sox speed`); nil: none.
  public var speedPerturb: [Double]?
  /// Additive noise at an SNR drawn uniformly from [min, max] dB; nil: no noise.
  public var noiseSnrDb: [Double]?
  /// A folder of noise recordings, looped or cropped to each clip; nil: white Gaussian noise.
  public var noiseDir: String?
  /// The chance that an utterance gets noise; nil: 1 (every utterance, when noise is asked for).
  public var noiseProb: Double?
  /// A gain drawn uniformly from [min, max] dB, clamped to full scale; nil: no gain.
  public var gainDb: [Double]?
  /// Seconds of silence before each clip, drawn uniformly from [min, max] (NeMo's
  /// SilencePerturbation); nil: none.
  public var startSilence: [Double]?
  /// Seconds of silence after each clip, drawn uniformly from [min, max]; nil: none.
  public var endSilence: [Double]?
  /// The chance that an utterance gets the silence; nil: 1.
  public var silenceProb: Double?

  public enum IntervalStrategy: String, Sendable, Codable, CaseIterable { case no, steps, epoch }
  public enum SaveStrategy: String, Sendable, Codable, CaseIterable { case no, steps, epoch, best }

  /// The metrics an evaluation reports, as the Trainer names them.
  public static let evaluationMetrics = ["eval_loss", "eval_wer", "eval_cer"]

  /// The metric that picks the best checkpoint, `eval_`-prefixed as the Trainer reads it.
  public var resolvedMetricForBestModel: String? {
    guard let name = metricForBestModel ?? (loadBestModelAtEnd || saveStrategy == .best ? "loss" : nil) else { return nil }
    return name.hasPrefix("eval_") ? name : "eval_" + name
  }

  /// TrainingArguments' rule (higher is better unless the name ends in "loss"), except that an
  /// error rate is also lower-is-better: the Trainer's default would keep the worst WER.
  public var resolvedGreaterIsBetter: Bool {
    if let greaterIsBetter { return greaterIsBetter }
    guard let metric = resolvedMetricForBestModel else { return false }
    return !(metric.hasSuffix("loss") || metric == "eval_wer" || metric == "eval_cer")
  }

  public init(outputDir: String) { self.outputDir = outputDir }

  /// The warm-up in steps for a run of `totalSteps`, as TrainingArguments.get_warmup_steps.
  public func resolvedWarmupSteps(totalSteps: Int) -> Int {
    if let warmupRatio, warmupSteps == 0 { return Int((Double(totalSteps) * warmupRatio).rounded(.up)) }
    return warmupSteps >= 1 ? Int(warmupSteps) : Int((Double(totalSteps) * warmupSteps).rounded(.up))
  }

  /// What is wrong with these settings, one message per option, named as `asrc train` spells
  /// it and with the value given (empty when every value can be used).
  public var problems: [String] {
    var problems: [String] = []
    func require(_ condition: Bool, _ option: String, _ rule: String, _ value: Any) {
      if !condition { problems.append("--\(option) must be \(rule), not \(value)") }
    }
    if fp16 && bf16 { problems.append("--fp16 and --bf16 exclude each other: choose one") }
    if let freezeParam, freezeParam.contains(where: \.isEmpty) { problems.append(FrozenParameters.emptyNameProblem) }
    require(perDeviceTrainBatchSize > 0, "per-device-train-batch-size", "positive", perDeviceTrainBatchSize)
    require(perDeviceEvalBatchSize > 0, "per-device-eval-batch-size", "positive", perDeviceEvalBatchSize)
    require(learningRate > 0 && learningRate.isFinite, "learning-rate", "positive", learningRate)
    require(weightDecay >= 0 && weightDecay.isFinite, "weight-decay", "zero or positive", weightDecay)
    require((0..<1).contains(adamBeta1), "adam-beta1", "in [0, 1)", adamBeta1)
    require((0..<1).contains(adamBeta2), "adam-beta2", "in [0, 1)", adamBeta2)
    require(adamEpsilon > 0 && adamEpsilon.isFinite, "adam-epsilon", "positive", adamEpsilon)
    // Counts beyond a billion steps are mistakes, and would not fit the step arithmetic.
    require(warmupSteps >= 0 && warmupSteps <= 1e9, "warmup-steps", "zero or positive (below 1: a ratio of the total), at most 1e9", warmupSteps)
    if let warmupRatio { require((0...1).contains(warmupRatio), "warmup-ratio", "in [0, 1]", warmupRatio) }
    require(maxGradNorm >= 0 && maxGradNorm.isFinite, "max-grad-norm", "zero (no clipping) or positive", maxGradNorm)
    if maxSteps <= 0 { require(numTrainEpochs > 0 && numTrainEpochs <= 1e6, "num-train-epochs", "positive when --max-steps is not, at most 1e6", numTrainEpochs) }
    require(evalSteps >= 0, "eval-steps", "zero (only after the last step) or positive", evalSteps)
    require(saveSteps >= 0, "save-steps", "zero (never) or positive", saveSteps)
    require(saveTotalLimit > 0, "save-total-limit", "positive", saveTotalLimit)
    require(loggingSteps > 0, "logging-steps", "positive", loggingSteps)
    require(dataloaderNumWorkers >= 0, "dataloader-num-workers", "zero or positive", dataloaderNumWorkers)
    if let padToMultipleOf {
      // Beyond a thousand seconds of audio a multiple is a mistake, and the rounding could overflow.
      require(padToMultipleOf > 0 && padToMultipleOf <= 16_000_000, "pad-to-multiple-of", "positive, at most 16000000 (1,000 s of audio)", padToMultipleOf)
    }
    require(gradientAccumulationSteps > 0, "gradient-accumulation-steps", "positive", gradientAccumulationSteps)
    require(evalDelay >= 0 && evalDelay.isFinite, "eval-delay", "zero or positive", evalDelay)
    if let metric = resolvedMetricForBestModel, !Self.evaluationMetrics.contains(metric) {
      problems.append("--metric-for-best-model must be one of loss, wer, cer (with or without eval_), not \(metricForBestModel ?? metric)")
    }
    if loadBestModelAtEnd && saveStrategy != .best {
      if evalStrategy.rawValue != saveStrategy.rawValue || saveStrategy == .no {
        problems.append("--load-best-model-at-end needs --save-strategy to match --eval-strategy (or be best), not \(saveStrategy.rawValue) and \(evalStrategy.rawValue)")
      } else if saveStrategy == .steps && (evalSteps == 0 || saveSteps % evalSteps != 0) {
        problems.append("--load-best-model-at-end needs --save-steps to be a multiple of --eval-steps, not \(saveSteps) and \(evalSteps)")
      }
    }
    if saveStrategy == .best && evalStrategy == .no {
      problems.append("--save-strategy best saves after evaluations, and --eval-strategy no has none")
    }
    if let minDurationSeconds { require(minDurationSeconds >= 0, "min-duration", "zero or positive", minDurationSeconds) }
    if let maxDurationSeconds { require(maxDurationSeconds > 0, "max-duration", "positive", maxDurationSeconds) }
    if let minDurationSeconds, let maxDurationSeconds, minDurationSeconds > maxDurationSeconds {
      problems.append("--min-duration (\(minDurationSeconds)) must not exceed --max-duration (\(maxDurationSeconds))")
    }
    problems += augmentationProblems
    if LearningRateSchedule.Kind(rawValue: lrSchedulerType) == nil {
      let kinds = LearningRateSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")
      problems.append("--lr-scheduler-type must be one of \(kinds), not \(lrSchedulerType)")
    } else if lrSchedulerType == LearningRateSchedule.Kind.polynomial.rawValue && learningRate <= LearningRateSchedule.polynomialEnd {
      problems.append("--learning-rate must be above the polynomial schedule's end rate \(LearningRateSchedule.polynomialEnd), not \(learningRate)")
    }
    return problems
  }

  enum CodingKeys: String, CodingKey {
    case outputDir = "output_dir", perDeviceTrainBatchSize = "per_device_train_batch_size", perDeviceEvalBatchSize = "per_device_eval_batch_size"
    case learningRate = "learning_rate", weightDecay = "weight_decay", adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon"
    case warmupSteps = "warmup_steps", warmupRatio = "warmup_ratio", lrSchedulerType = "lr_scheduler_type", maxGradNorm = "max_grad_norm", numTrainEpochs = "num_train_epochs"
    case maxSteps = "max_steps", groupByLength = "group_by_length", noShuffle = "no_shuffle", evalSteps = "eval_steps", saveSteps = "save_steps"
    case saveTotalLimit = "save_total_limit", loggingSteps = "logging_steps", seed, freezeFeatureEncoder = "freeze_feature_encoder", freezeParam = "freeze_param"
    case gradientCheckpointing = "gradient_checkpointing", memoryBudget = "memory_budget", fp16, bf16
    case resumeFromCheckpoint = "resume_from_checkpoint", dataloaderNumWorkers = "dataloader_num_workers", padToMultipleOf = "pad_to_multiple_of"
    case minDurationSeconds = "min_duration_seconds", maxDurationSeconds = "max_duration_seconds"
    case evalPaddedBatches = "eval_padded_batches", overwriteOutputDir = "overwrite_output_dir", loggingFirstStep = "logging_first_step"
    case evalOnStart = "eval_on_start", dataloaderDropLast = "dataloader_drop_last", dataSeed = "data_seed", runName = "run_name"
    case gradientAccumulationSteps = "gradient_accumulation_steps", evalStrategy = "eval_strategy", saveStrategy = "save_strategy"
    case loggingStrategy = "logging_strategy", evalDelay = "eval_delay", loadBestModelAtEnd = "load_best_model_at_end"
    case metricForBestModel = "metric_for_best_model", greaterIsBetter = "greater_is_better"
    case reportTo = "report_to", loggingDir = "logging_dir",
         speedPerturb = "speed_perturb", noiseSnrDb = "noise_snr_db", noiseDir = "noise_dir", noiseProb = "noise_prob", gainDb = "gain_db",
         startSilence = "start_silence", endSilence = "end_silence", silenceProb = "silence_prob"
  }
}
