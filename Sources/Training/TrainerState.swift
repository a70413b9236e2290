import Foundation

/// `trainer_state.json` as the Trainer writes it (the fields transformers reads back), plus the
/// position asrc needs to resume exactly: the epoch, the batch within it and the scheduler's count.
public struct TrainerState: Sendable {
  public var globalStep = 0
  public var epoch = 0.0
  public var maxSteps = 0
  public var numTrainEpochs = 0
  public var logHistory: [[String: Double]] = []
  public var trainBatchSize = 0
  public var loggingSteps = 0
  public var evalSteps = 0
  public var saveSteps = 0
  public var bestMetric: Double?
  public var bestModelCheckpoint: String?
  /// The step whose evaluation gave `bestMetric`.
  public var bestGlobalStep: Int?
  // Resume position.
  public var epochIndex = 0
  public var batchInEpoch = 0
  public var schedulerSteps = 0
  public var skippedSteps = 0
  /// f16 training's loss scaler; nil in f32 and bf16.
  public var gradScaler: GradScaler?

  public init() {}

  public var json: [String: Any] {
    var object: [String: Any] = [
      "global_step": globalStep, "epoch": epoch, "max_steps": maxSteps, "num_train_epochs": numTrainEpochs,
      "log_history": logHistory, "train_batch_size": trainBatchSize, "logging_steps": loggingSteps, "eval_steps": evalSteps,
      "save_steps": saveSteps, "is_local_process_zero": true, "is_world_process_zero": true, "is_hyper_param_search": false,
      "total_flos": 0, "trial_name": NSNull(), "trial_params": NSNull(), "stateful_callbacks": [String: Any](),
      "best_metric": bestMetric.flatMap { $0.isFinite ? $0 as Any : nil } ?? NSNull(), "best_model_checkpoint": bestModelCheckpoint.map { $0 as Any } ?? NSNull(),
      "best_global_step": bestGlobalStep.map { $0 as Any } ?? NSNull(),
      "asrc_resume": ["epoch_index": epochIndex, "batch_in_epoch": batchInEpoch, "scheduler_steps": schedulerSteps, "skipped_steps": skippedSteps,
      ].merging(gradScaler.map { ["loss_scale": $0.scale, "loss_scale_growth_tracker": $0.growthTracker] as [String: Any] } ?? [:]) { first, _ in first },
    ]
    // Steps are integers in transformers' files; JSON has no NaN or infinity, so a non-finite
    // value (a diverged loss or gradient norm) is written as null.
    object["log_history"] = logHistory.map { entry in
      entry.reduce(into: [String: Any]()) { out, field in
        out[field.key] = field.key == "step" ? Int(field.value) as Any : (field.value.isFinite ? field.value as Any : NSNull())
      }
    }
    return object
  }

  public init(json: [String: Any]) {
    globalStep = json["global_step"] as? Int ?? 0
    epoch = (json["epoch"] as? NSNumber)?.doubleValue ?? 0
    maxSteps = json["max_steps"] as? Int ?? 0
    numTrainEpochs = json["num_train_epochs"] as? Int ?? 0
    logHistory = (json["log_history"] as? [[String: Any]] ?? []).map { $0.compactMapValues { ($0 as? NSNumber)?.doubleValue } }
    trainBatchSize = json["train_batch_size"] as? Int ?? 0
    loggingSteps = json["logging_steps"] as? Int ?? 0
    evalSteps = json["eval_steps"] as? Int ?? 0
    saveSteps = json["save_steps"] as? Int ?? 0
    bestMetric = (json["best_metric"] as? NSNumber)?.doubleValue
    bestModelCheckpoint = json["best_model_checkpoint"] as? String
    bestGlobalStep = json["best_global_step"] as? Int
    let resume = json["asrc_resume"] as? [String: Any] ?? [:]
    epochIndex = resume["epoch_index"] as? Int ?? 0
    batchInEpoch = resume["batch_in_epoch"] as? Int ?? 0
    schedulerSteps = resume["scheduler_steps"] as? Int ?? globalStep
    skippedSteps = resume["skipped_steps"] as? Int ?? 0
    if let scale = (resume["loss_scale"] as? NSNumber)?.doubleValue {
      gradScaler = GradScaler(scale: scale, growthTracker: resume["loss_scale_growth_tracker"] as? Int ?? 0)
    }
  }
}
