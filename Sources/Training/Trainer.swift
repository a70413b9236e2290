import CRuntime
import Data
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime

/// Fine-tuning with the guide's recipe, on the graph the autodiff pass derives, run by the
/// interpreter or the C backend. See TrainingArguments for the options and their defaults.
///
/// Per step: a padded batch (prefetched), the training graph's loss and gradients, a skip if
/// either is not finite (the scheduler does not advance either), global-norm clipping, AdamW at
/// the scheduled rate (a `TrainingStep`: in Swift after the interpreter, or all inside the C
/// backend's library). Logging, evaluation and checkpoints follow the step counts; an
/// interrupt finishes the step, saves a checkpoint and returns.
public final class Trainer {
  /// The run's settings; `loggingDir` is filled in with the folder TensorBoard's files go to.
  public private(set) var arguments: TrainingArguments
  /// The model being trained, with its current weights.
  public var model: ModelDirectory {
    var model = folder
    model.weights = trainingStep.weights
    return model
  }
  /// The model folder without its weights: the training step holds them, so that the C
  /// backend can update them in place (any weights handed out stay as they were).
  private var folder: ModelDirectory
  public let train: Dataset
  public let evaluation: Dataset?
  public private(set) var state = TrainerState()
  private let schedule: LearningRateSchedule
  private let trainingGraph: Graph
  /// Runs the training graph and the optimizer; holds the weights and AdamW's state.
  private let trainingStep: any TrainingStep
  private var evaluator: Evaluator
  /// How evaluations during training turn logits into transcripts: greedy (the default, as the
  /// Trainer's usual compute_metrics), or a beam search with a language model (`--eval-lm`).
  public var evaluationDecoder: TranscriptDecoder {
    get { evaluator.decoder }
    set { evaluator.decoder = newValue }
  }
  /// Batches of `perDeviceTrainBatchSize` in an epoch; optimizer steps take
  /// `gradientAccumulationSteps` of them each (the last step of an epoch takes what is left).
  private let microBatchesPerEpoch: Int
  private let report: (String) -> Void
  private let progress: TrainingProgress
  /// Decoded audio kept in memory when the training set is small enough (TIMIT-sized).
  private let audioCache: AudioCache?
  /// Augments the training clips (speed, silence, gain, noise); nil when no augmentation is asked for.
  private let augmenter: WaveformAugmenter?
  /// When this run started (for the wall-clock column of the evaluation log).
  private let started = ContinuousClock.now
  /// Set from a signal handler; checked between steps.
  public let stopRequested = StopFlag()
  /// Stops as an interrupt would once this step is done (tests of interruption and resuming).
  public var stopAfterStep: Int?
  /// The checkpoints of this run (those it saved, and when resumed, those of the run it
  /// continues up to the resumed step): rotation never removes another run's.
  private var ownCheckpoints: Set<String> = []
  /// The TensorBoard folder of the run a resumed run continues (its training_args.json's logging_dir).
  private var resumedLoggingDir: String?
  /// Writes every log entry to TensorBoard (with `--report-to tensorboard`) while the run lasts.
  private var tensorBoard: TensorBoardCallback?

  public init(model: ModelDirectory, train: Dataset, evaluation: Dataset?, arguments: TrainingArguments, backend: Backend = .interp,
    compiledStep: CompiledStepFolder? = nil, note: (String) -> Void = { _ in }, report: @escaping (String) -> Void
  ) throws {
    self.arguments = arguments
    var folder = model
    folder.weights = [:]
    self.folder = folder
    self.train = train
    self.evaluation = evaluation
    self.report = report
    if let problem = try TrainingStepSpec(model: model, arguments: arguments).frozenParametersProblem() { throw TrainingError.frozenParameters(problem) }
    guard !train.items.isEmpty else { throw UnusableDataError(data: train.corpus.root, purpose: "training", skipped: train.skipped) }
    if let evaluation, evaluation.items.isEmpty {
      throw UnusableDataError(data: evaluation.corpus.root, purpose: "evaluation", skipped: evaluation.skipped)
    }
    microBatchesPerEpoch = arguments.dataloaderDropLast
      ? train.items.count / arguments.perDeviceTrainBatchSize
      : (train.items.count + arguments.perDeviceTrainBatchSize - 1) / arguments.perDeviceTrainBatchSize
    // As the Trainer's num_update_steps_per_epoch: a partial accumulation at the end still steps.
    let stepsPerEpoch = (microBatchesPerEpoch + arguments.gradientAccumulationSteps - 1) / arguments.gradientAccumulationSteps
    guard stepsPerEpoch > 0 else {
      throw UnusableDataError(data: train.corpus.root, purpose: "one full batch of \(arguments.perDeviceTrainBatchSize) (--dataloader-drop-last)", skipped: train.skipped)
    }
    augmenter = try Self.makeAugmenter(arguments: arguments, train: train, model: model.configuration)
    if let augmenter { report("augmentation of the training clips: " + augmenter.settings.summary(noiseSource: arguments.noiseDir.map { "noise from \(augmenter.noise?.clips.count ?? 0) recordings in \($0)" } ?? "white noise")) }
    let totalSteps = arguments.maxSteps > 0 ? arguments.maxSteps : Int((Double(stepsPerEpoch) * arguments.numTrainEpochs).rounded(.up))
    guard let kind = LearningRateSchedule.Kind(rawValue: arguments.lrSchedulerType) else { throw TrainingError.unknownScheduler(arguments.lrSchedulerType) }
    let warmup = arguments.resolvedWarmupSteps(totalSteps: totalSteps)
    // A warm-up longer than the run never reaches the learning rate asked for.
    guard warmup <= totalSteps else { throw TrainingError.warmupBeyondTheRun(warmup: warmup, steps: totalSteps) }
    schedule = LearningRateSchedule(kind: kind, baseRate: arguments.learningRate, warmupSteps: warmup, totalSteps: totalSteps)
    // The step's graph: the forward graph in training mode through autodiff, and loss scaling,
    // mixed precision and gradient checkpointing as the arguments ask (TrainingStepSpec).
    let precision = arguments.lowPrecision
    if precision == .fp16 { state.gradScaler = GradScaler() }
    let spec = TrainingStepSpec(model: model, arguments: arguments)
    let stepModel: CompiledModel?
    if let compiledStep {
      // A step `asrc compile --training` wrote: it must be the one these arguments build.
      guard backend == .c else { throw TrainingError.compiledStepNeedsC(compiledStep.path) }
      try compiledStep.check(fits: spec, weights: model.weights)
      trainingGraph = compiledStep.graph
      stepModel = try compiledStep.model()
      note("training step: \(compiledStep.path)/libmodel.so (compiled for \(spec.summary))")
    } else {
      // Planned for the largest batch the run will see: the longest clip (at the slowest
      // speed factor, with the most silence), batch size rows.
      let slowest = arguments.augmentation.speedFactors.min().map { Swift.min($0, 1) } ?? 1
      let silence = arguments.augmentation.longestSilence
      let longest = FeatureExtractor.width(
        longest: train.items.map { SpeedPerturbation.length($0.sampleCount, factor: slowest) + silence }.max() ?? 16_000, multiple: arguments.padToMultipleOf)
      let bindings = ["B": arguments.perDeviceTrainBatchSize, "S": longest, "L": Swift.max(1, train.items.map(\.labels.count).max() ?? 1)]
      // The interpreter runs the reference graph; the C backend the whole training pipeline,
      // as `asrc compile --training` builds it.
      let built = try spec.build(fused: backend == .c, bindings: bindings)
      // Numbered as compiled.ir reads back, so that `asrc compile --training` finds this library.
      trainingGraph = backend == .c ? try built.graph.canonicallyNumbered() : built.graph
      if let checkpointReport = built.checkpointReport { report(checkpointReport.summary) }
      if let cBackend = backend.compiled {
        let clock = ContinuousClock()
        let start = clock.now
        let compiled = try CompiledModel(graph: trainingGraph, compiler: cBackend.compiler)
        stepModel = compiled
        note(
          "training step: \(compiled.build.library.path) (\(compiled.build.cached ? "from the C cache" : String(format: "built in %.1f s", (clock.now - start) / .seconds(1)))); `asrc compile MODEL_DIR --training -o STEP_DIR` writes it into a folder of its own)")
      } else {
        stepModel = nil
      }
    }
    let batching: Evaluator.Batching = arguments.evalPaddedBatches ? .padded : .independentOfBatchSize
    evaluator = try precision.map { try Evaluator(model: model, batching: batching, backend: backend, precision: $0) }
      ?? Evaluator(model: model, batching: batching, backend: backend)
    progress = TrainingProgress(totalSteps: totalSteps)
    // Up to 4 h of 16 kHz float audio (about 0.9 GB) is cached after its first epoch.
    audioCache = train.totalSeconds <= 4 * 3600 ? AudioCache() : nil
    state.maxSteps = totalSteps
    state.numTrainEpochs = Int(arguments.numTrainEpochs.rounded(.up))
    state.trainBatchSize = arguments.perDeviceTrainBatchSize
    state.loggingSteps = arguments.loggingSteps
    state.evalSteps = arguments.evalSteps
    state.saveSteps = arguments.saveSteps
    var weights = model.weights
    if !weights.keys.contains("wav2vec2.masked_spec_embed"), trainingGraph.parameter(named: "wav2vec2.masked_spec_embed") != nil {
      var random = SeededRandom(seed: UInt64(arguments.seed))
      weights["wav2vec2.masked_spec_embed"] = Tensor((0..<model.configuration.hiddenSize).map { _ in Float(random.uniform()) }, shape: [model.configuration.hiddenSize])
      report("wav2vec2.masked_spec_embed was missing; initialised uniform(0, 1) as transformers does")
    }
    if let stepModel {
      trainingStep = try CompiledTrainingStepRunner(model: stepModel, optimizer: arguments.freshOptimizer, maxGradNorm: arguments.maxGradNorm, weights: weights)
    } else {
      trainingStep = ExecutorTrainingStep(
        graph: trainingGraph, executor: backend.executor, optimizer: arguments.freshOptimizer, maxGradNorm: arguments.maxGradNorm, weights: weights)
    }
  }

  /// The augmenter the arguments ask for, with `--noise-dir`'s recordings loaded; nil for none.
  private static func makeAugmenter(arguments: TrainingArguments, train: Dataset, model: Wav2Vec2Configuration) throws -> WaveformAugmenter? {
    let settings = arguments.augmentation
    guard !settings.isEmpty else { return nil }
    let noise = try arguments.noiseDir.map { folder throws(DataError) in try NoiseClips.load(folder: folder) }
    return try WaveformAugmenter(settings: settings, noise: noise, seed: UInt64(truncatingIfNeeded: arguments.seed), dataset: train, model: model)
  }

  /// Continues from a checkpoint folder written by an earlier run.
  public func resume(from path: String) throws {
    let savedArguments = (try? Data(contentsOf: URL(fileURLWithPath: path + "/training_args.json"))).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
    // A parameter that was frozen has no optimizer moments, and AdamW's bias correction at step
    // N would make its first updates several times the learning rate; the Trainer refuses such
    // a resume too (the optimizer's parameter groups no longer match).
    if let savedArguments {
      let saved = FrozenParameters(featureEncoder: savedArguments["freeze_feature_encoder"] as? Bool ?? false, prefixes: savedArguments["freeze_param"] as? [String] ?? [])
      if saved != arguments.frozenParameters {
        throw TrainingError.frozenParametersDiffer(checkpoint: path, saved: saved.summary, asked: arguments.frozenParameters.summary)
      }
    }
    let loaded = try Checkpoints.load(path, optimizer: arguments.freshOptimizer)
    // Resumed from the output folder, the run continues the one that saved its checkpoints there.
    let resumedFolder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    if resumedFolder == URL(fileURLWithPath: arguments.outputDir).standardizedFileURL.path {
      ownCheckpoints.formUnion(Checkpoints.list(in: arguments.outputDir).filter { $0.step <= loaded.state.globalStep }.map(\.path))
    }
    try trainingStep.load(weights: loaded.model.weights)
    try trainingStep.load(optimizer: loaded.optimizer)
    state.globalStep = loaded.state.globalStep
    state.epoch = loaded.state.epoch
    state.logHistory = loaded.state.logHistory
    state.epochIndex = loaded.state.epochIndex
    state.batchInEpoch = loaded.state.batchInEpoch
    state.schedulerSteps = loaded.state.schedulerSteps
    state.skippedSteps = loaded.state.skippedSteps
    // An f16 run continues with the scale it had reached.
    if state.gradScaler != nil, let scaler = loaded.state.gradScaler { state.gradScaler = scaler }
    state.bestMetric = loaded.state.bestMetric
    state.bestGlobalStep = loaded.state.bestGlobalStep
    state.bestModelCheckpoint = loaded.state.bestModelCheckpoint.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    // The same TensorBoard folder, so that the resumed run continues the same series.
    resumedLoggingDir = savedArguments?["logging_dir"] as? String
    report("resumed from \(path) at step \(state.globalStep) (epoch \(state.epochIndex + 1), batch \(state.batchInEpoch))")
  }

  public enum Outcome { case finished, interrupted(checkpoint: String) }

  public func run() throws -> Outcome {
    try FileManager.default.createDirectory(atPath: arguments.outputDir, withIntermediateDirectories: true)
    let order: SamplingOrder = arguments.noShuffle ? .sequential : (arguments.groupByLength ? .groupedByLength : .random)
    let accumulation = arguments.gradientAccumulationSteps
    var window = LogWindow()
    var lastGradNorm = 0.0
    var lastLearningRate = schedule.rate(at: state.schedulerSteps)
    let clock = ContinuousClock()
    if let runName = arguments.runName { report("run \(runName)") }
    try startTensorBoard()
    defer { tensorBoard = nil }
    if let evaluation, arguments.evalOnStart, state.globalStep == 0 { try evaluate(evaluation) }
    while state.globalStep < state.maxSteps {
      // Clips are speed-perturbed before batching (as ESPnet perturbs its data before it makes
      // batches), so the length-grouped sampler sees this epoch's perturbed lengths.
      let epoch = state.epochIndex
      let lengths = train.items.indices.map { augmenter?.length(index: $0, samples: train.items[$0].sampleCount, epoch: epoch) ?? train.items[$0].sampleCount }
      // The length-grouped sampler groups megabatches of one optimizer step's examples, as the
      // Trainer's LengthGroupedSampler(train_batch_size * gradient_accumulation_steps).
      let indices = Sampler.indices(
        count: train.items.count, lengths: lengths, batchSize: arguments.perDeviceTrainBatchSize * accumulation, order: order,
        seed: UInt64(truncatingIfNeeded: arguments.dataSeed ?? arguments.seed), epoch: state.epochIndex)
      let epochBatches = Sampler.batches(indices, batchSize: arguments.perDeviceTrainBatchSize)
        .filter { !arguments.dataloaderDropLast || $0.count == arguments.perDeviceTrainBatchSize }
      let batches = Array(epochBatches.dropFirst(state.batchInEpoch))
      let loader = BatchLoader(
        dataset: train, collator: Collator(featureExtractor: evaluator.collator.featureExtractor, padToMultipleOf: arguments.padToMultipleOf), batches: batches, prefetch: Swift.max(1, arguments.dataloaderNumWorkers), cache: audioCache,
        augment: augmenter?.stage(epoch: epoch, dataset: train))
      while state.globalStep < state.maxSteps && state.batchInEpoch < microBatchesPerEpoch {
        let started = clock.now
        // One optimizer step: the next `accumulation` micro-batches (fewer at the epoch's end),
        // all loaded first so that the step knows which one is its last.
        let microBatches = Swift.min(accumulation, microBatchesPerEpoch - state.batchInEpoch)
        var inputs: [[String: Tensor]] = []
        var audioSeconds = 0.0
        for _ in 0..<microBatches {
          guard let batch = loader.next() else { break }
          for entry in batch.skipped { report("skipped \(entry)") }
          state.batchInEpoch += 1
          audioSeconds += batch.audioSeconds
          guard !batch.items.isEmpty else { continue }
          inputs.append(graphInputs(batch))
        }
        // The Trainer adds micro-batch losses without dividing them: Wav2Vec2ForCTC takes
        // **kwargs, so its loss counts as already scaled for accumulation.
        let learningRate = schedule.rate(at: state.schedulerSteps)
        let scale = state.gradScaler?.scale ?? 1
        if state.gradScaler != nil { for index in inputs.indices { inputs[index]["loss_scale"] = Tensor([Float(scale)], shape: []) } }
        let outcome = try inputs.isEmpty ? nil : trainingStep.run(inputs, learningRate: learningRate, gradientScale: scale)
        state.globalStep += 1
        state.epoch = Double(state.epochIndex) + Double(state.batchInEpoch) / Double(microBatchesPerEpoch)
        guard let outcome else { continue }
        let loss = outcome.loss
        lastGradNorm = outcome.gradientNorm
        if outcome.updated {
          lastLearningRate = learningRate
          state.schedulerSteps += 1
          window.add(loss)
        } else {
          state.skippedSteps += 1
          if loss.isFinite, let scaler = state.gradScaler {
            report("step \(state.globalStep): skipped, the f16 gradients overflowed at loss scale \(Int(scaler.scale)) (gradient norm \(outcome.gradientNorm))")
          } else {
            report("step \(state.globalStep): skipped, the \(loss.isFinite ? "gradient norm" : "loss") is not finite (loss \(loss), gradient norm \(outcome.gradientNorm))")
          }
        }
        // GradScaler.update: halve after an overflow, double after 2,000 clean steps.
        if let change = state.gradScaler?.update(overflowed: !outcome.updated) {
          report("step \(state.globalStep): loss scale \(Int(change.from)) → \(Int(change.to))")
        }
        progress.update(step: state.globalStep, loss: loss, seconds: (clock.now - started).seconds, audioSeconds: audioSeconds)
        let isLast = state.globalStep == state.maxSteps
        let endsEpoch = isLast || state.batchInEpoch == microBatchesPerEpoch
        let events = StepEvents(arguments: arguments, step: state.globalStep, epoch: state.epoch, isLast: isLast, endsEpoch: endsEpoch)
        if events.log { log(&window, gradNorm: lastGradNorm, learningRate: lastLearningRate) }
        var newBest = false
        if let evaluation, events.evaluate { newBest = try evaluate(evaluation).isNewBest }
        var saved: String?
        if events.save || (arguments.saveStrategy == .best && newBest) { saved = try saveCheckpoint() }
        // A stop asked for during the last step lets the run finish: the final model is written.
        if !isLast && (stopRequested.isSet || stopAfterStep == state.globalStep) {
          loader.cancel()
          let path = try saved ?? saveCheckpoint()
          progress.finish()
          return .interrupted(checkpoint: path)
        }
      }
      loader.cancel()
      if state.globalStep < state.maxSteps {
        state.epochIndex += 1
        state.batchInEpoch = 0
      }
    }
    progress.finish()
    if arguments.loadBestModelAtEnd { try loadBestModel() }
    try saveFinal()
    return .finished
  }

  /// The losses of the optimizer steps since the last log line.
  private struct LogWindow {
    var lossSum = 0.0
    var finiteSteps = 0
    mutating func add(_ loss: Double) {
      lossSum += loss
      finiteSteps += 1
    }
  }

  private func log(_ window: inout LogWindow, gradNorm: Double, learningRate: Double) {
    var entry: [String: Double] = ["grad_norm": gradNorm, "learning_rate": learningRate, "epoch": state.epoch, "step": Double(state.globalStep)]
    // A window whose every step was skipped has no loss to report (not a loss of zero).
    // The mean over the finite steps (transformers' logging_nan_inf_filter replaces a
    // non-finite loss by the running mean, which comes to the same).
    if window.finiteSteps > 0 { entry["loss"] = window.lossSum / Double(window.finiteSteps) }
    record(entry)
    let lossText = entry["loss"].map { String(format: "%.4f", $0) } ?? "n/a (every step since the last log was skipped)"
    progress.log(
      String(
        format: "step %d/%d: loss %@, grad norm %.3f, learning rate %.3g, epoch %.2f", state.globalStep, state.maxSteps, lossText, gradNorm,
        learningRate, state.epoch) + progress.remainingSuffix(step: state.globalStep))
    window = LogWindow()
  }

  /// Opens this run's TensorBoard event file when report_to asks for one: in the folder given, or
  /// the resumed run's, or a new one named as transformers names it.
  private func startTensorBoard() throws {
    guard arguments.reportTo.contains(.tensorboard) else { return }
    let logFolder = arguments.loggingDir ?? resumedLoggingDir ?? TensorBoardCallback.defaultFolder(outputDir: arguments.outputDir, date: Date())
    arguments.loggingDir = logFolder
    let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys]
    let argumentsText = String(decoding: try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: JSONEncoder().encode(arguments)), options: options), as: UTF8.self)
    let configText = String(decoding: try JSONSerialization.data(withJSONObject: Wav2Vec2ConfigFile.json(folder.configuration), options: options), as: UTF8.self)
    tensorBoard = try TensorBoardCallback(folder: logFolder, resumedAt: state.globalStep, texts: [("args", argumentsText), ("model_config", configText + "\n")])
    progress.log("TensorBoard: \(tensorBoard!.writer.path)")
  }

  /// Adds an entry to the log history and, with report_to, to TensorBoard. A failed TensorBoard
  /// write is reported and ends TensorBoard logging; the training and its checkpoints go on.
  private func record(_ entry: [String: Double]) {
    state.logHistory.append(entry)
    guard let tensorBoard else { return }
    do { try tensorBoard.log(entry) } catch {
      report("\(error); no more TensorBoard events are written (training goes on)")
      self.tensorBoard = nil
    }
  }

  /// Replaces the weights by the best checkpoint's (load_best_model_at_end).
  private func loadBestModel() throws {
    guard let best = state.bestModelCheckpoint else {
      report("--load-best-model-at-end: no checkpoint was saved after an evaluation; the final model is the last step's")
      return
    }
    try trainingStep.load(weights: ModelDirectory.load(best).weights)
    let metric = arguments.resolvedMetricForBestModel ?? "eval_loss"
    progress.log("loaded the best model from \(best) (\(metric) \(state.bestMetric.map { String(format: "%.4f", $0) } ?? "n/a"))")
  }

  /// The training graph's inputs for one batch: audio, labels, and the step's random draws.
  private func graphInputs(_ batch: TrainingBatch) -> [String: Tensor] {
    var inputs = ["input_values": batch.inputValues, "labels": batch.labels]
    if let mask = batch.attentionMask, trainingGraph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    // Every random choice of a step derives from (seed, step): a resumed run repeats it exactly.
    var random = SeededRandom(seed: UInt64(arguments.seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(state.globalStep))
    if trainingGraph.input(named: "dropout_seed") != nil { inputs["dropout_seed"] = .scalar(Int64(bitPattern: random.next())) }
    let config = folder.configuration
    let frames = config.frameCount(samples: batch.inputValues.shape[1])
    if trainingGraph.input(named: "mask_time_indices") != nil {
      let lengths = batch.attentionMask == nil ? Array(repeating: frames, count: batch.items.count) : batch.items.map { config.frameCount(samples: $0.sampleCount) }
      let mask = SpecAugment.timeMask(
        frameLengths: lengths, frames: frames, probability: config.maskTimeProb, spanLength: config.maskTimeLength, minimumSpans: config.maskTimeMinMasks,
        random: &random)
      inputs["mask_time_indices"] = Tensor(mask, shape: [batch.items.count, frames])
    }
    if trainingGraph.input(named: "layer_keep") != nil {
      inputs["layer_keep"] = Tensor(LayerDrop.keep(layers: config.numHiddenLayers, probability: config.layerdrop, random: &random), shape: [config.numHiddenLayers])
    }
    return inputs
  }

  @discardableResult
  public func evaluate(_ dataset: Dataset) throws -> (result: Evaluator.Result, isNewBest: Bool) {
    let result = try evaluator.evaluate(dataset, weights: trainingStep.weights, batchSize: arguments.perDeviceEvalBatchSize)
    let metrics = ["eval_loss": result.loss, "eval_wer": result.wordErrorRate, "eval_cer": result.characterErrorRate]
    record(metrics.merging([
      "eval_runtime": result.seconds, "epoch": state.epoch, "step": Double(state.globalStep), "elapsed_seconds": (ContinuousClock.now - started).seconds,
    ]) { first, _ in first })
    // As Trainer._determine_best_metric: only with a metric to compare, strictly better.
    var isNewBest = false
    if let name = arguments.resolvedMetricForBestModel, let value = metrics[name], value.isFinite {
      let greater = arguments.resolvedGreaterIsBetter
      if state.bestMetric.map({ greater ? value > $0 : value < $0 }) ?? true {
        state.bestMetric = value
        state.bestGlobalStep = state.globalStep
        isNewBest = true
      }
    }
    defer { if isNewBest { progress.log("new best \(arguments.resolvedMetricForBestModel!) \(String(format: "%.4f", state.bestMetric!))") } }
    progress.log(String(format: "step %d: eval loss %.4f, WER %.4f, CER %.4f (%d utterances, %.1f s)", state.globalStep, result.loss, result.wordErrorRate, result.characterErrorRate, result.utterances.count, result.seconds))
    return (result, isNewBest)
  }

  @discardableResult
  private func saveCheckpoint() throws -> String {
    // Another run's checkpoint of the same step is never replaced.
    let name = "checkpoint-\(state.globalStep)"
    // As the Trainer, the checkpoint's own trainer_state.json already names it when it is the best.
    if state.bestGlobalStep == state.globalStep { state.bestModelCheckpoint = arguments.outputDir + "/" + name }
    if let existing = Checkpoints.list(in: arguments.outputDir).first(where: { ($0.path as NSString).lastPathComponent == name }), !ownCheckpoints.contains(existing.path) {
      throw TrainingError.checkpointInTheWay(existing.path)
    }
    let path = try Checkpoints.save(
      step: state.globalStep, model: model, optimizer: trainingStep.optimizer, state: state, arguments: arguments, schedule: schedule, in: arguments.outputDir)
    ownCheckpoints.insert(path)
    for removed in try Checkpoints.rotate(in: arguments.outputDir, keep: arguments.saveTotalLimit, among: ownCheckpoints, sparing: state.bestModelCheckpoint) { progress.log("removed \(removed) (save_total_limit \(arguments.saveTotalLimit))") }
    progress.log("saved \(path)")
    return path
  }

  /// The final model, trainer_state.json and the training plot (training.svg, and training.png
  /// when rsvg-convert is installed), in the output folder.
  private func saveFinal() throws {
    try model.save(to: arguments.outputDir)
    try Checkpoints.writeJSON(state.json, to: arguments.outputDir + "/trainer_state.json")
    try Checkpoints.writeJSON(try JSONSerialization.jsonObject(with: JSONEncoder().encode(arguments)), to: arguments.outputDir + "/training_args.json")
    let plot = arguments.outputDir + "/training.svg"
    try TrainingPlot.svg(state.logHistory).write(toFile: plot, atomically: true, encoding: .utf8)
    var written = "training.svg"
    // The PNG is a convenience: a failure to draw it is reported, and the run still succeeds.
    do {
      if try PlotImage.write(svgFile: plot, to: arguments.outputDir + "/training.png") == .written { written += " and training.png" }
    } catch {
      report("\(error)")
    }
    progress.log("saved the model, trainer_state.json and \(written) in \(arguments.outputDir)")
  }
}

/// LayerDrop as transformers' encoder applies it in training: layer i is skipped when a uniform
/// draw is below `layerdrop` (one draw per layer, in order). Evaluation graphs have no
/// `layer_keep` input, so no layer is ever skipped there.
public enum LayerDrop {
  public static func keep(layers: Int, probability: Double, random: inout SeededRandom) -> [Bool] {
    (0..<layers).map { _ in random.uniform() >= probability }
  }
}

public enum TrainingError: Error, CustomStringConvertible {
  case unknownScheduler(String)
  case checkpointInTheWay(String)
  case warmupBeyondTheRun(warmup: Int, steps: Int)
  /// A compiled training step folder that is missing, malformed or does not fit the run.
  case compiledStep(String, String)
  case compiledStepNeedsC(String)
  /// --freeze-param names nothing in the model, or nothing is left to train.
  case frozenParameters(String)
  /// A resumed run that freezes other parameters than the run that saved the checkpoint.
  case frozenParametersDiffer(checkpoint: String, saved: String, asked: String)

  public var description: String {
    switch self {
    case .unknownScheduler(let name):
      "unknown --lr-scheduler-type \(name) (\(LearningRateSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")))"
    case .warmupBeyondTheRun(let warmup, let steps):
      "--warmup-steps gives \(warmup) warm-up steps, more than the run's \(steps): the learning rate would never reach --learning-rate"
    case .checkpointInTheWay(let path): "\(path) belongs to another run: this run would save a checkpoint of the same step there (choose another --output-dir)"
    case .compiledStep(let path, let reason): "\(path): \(reason)"
    case .compiledStepNeedsC(let path): "--compiled \(path) runs the C backend's library; it cannot go with --backend interp"
    case .frozenParameters(let problem): problem
    case .frozenParametersDiffer(let checkpoint, let saved, let asked):
      "\(checkpoint): the run that saved it froze \(saved), this run freezes \(asked) (--freeze-feature-encoder, --freeze-param must be as they were)"
    }
  }
}

/// A flag a signal handler sets and the training loop reads.
public final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  public init() {}
  public var isSet: Bool { lock.withLock { value } }
  public func set() { lock.withLock { value = true } }
}

extension TrainingArguments {
  /// AdamW with these arguments' settings, before its first step.
  var freshOptimizer: AdamW { AdamW(beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay: weightDecay) }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
