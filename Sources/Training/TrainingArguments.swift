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
  public var warmupSteps = 0
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
  public var resumeFromCheckpoint: String?
  /// Batches decoded ahead of the step (the loader's prefetch depth).
  public var dataloaderNumWorkers = 2
  public var minDurationSeconds: Double?
  public var maxDurationSeconds: Double?

  public init(outputDir: String) { self.outputDir = outputDir }

  enum CodingKeys: String, CodingKey {
    case outputDir = "output_dir", perDeviceTrainBatchSize = "per_device_train_batch_size", perDeviceEvalBatchSize = "per_device_eval_batch_size"
    case learningRate = "learning_rate", weightDecay = "weight_decay", adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon"
    case warmupSteps = "warmup_steps", lrSchedulerType = "lr_scheduler_type", maxGradNorm = "max_grad_norm", numTrainEpochs = "num_train_epochs"
    case maxSteps = "max_steps", groupByLength = "group_by_length", noShuffle = "no_shuffle", evalSteps = "eval_steps", saveSteps = "save_steps"
    case saveTotalLimit = "save_total_limit", loggingSteps = "logging_steps", seed, freezeFeatureEncoder = "freeze_feature_encoder"
    case resumeFromCheckpoint = "resume_from_checkpoint", dataloaderNumWorkers = "dataloader_num_workers"
    case minDurationSeconds = "min_duration_seconds", maxDurationSeconds = "max_duration_seconds"
  }
}
