import ArgumentParser
import CRuntime
import Data
import Dispatch
import Foundation
import Formats
import Inference
import Models
import Training

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fine-tune a model with the Hugging Face guide's recipe (AdamW, linear schedule, clipping, CTC loss) on the interpreter or the C backend.",
    discussion: """
      Options are named after Hugging Face TrainingArguments. Writes checkpoint-STEP/ folders (at most \
      --save-total-limit) and, at the end, the model, trainer_state.json and training.svg (and training.png when \
      rsvg-convert is installed) into --output-dir; with --report-to tensorboard, TensorBoard event files under \
      OUTPUT_DIR/runs/ as it goes. \
      Ctrl-C (or SIGTERM) finishes the current step, saves a checkpoint and exits with status 130 (143 for SIGTERM); --resume-from-checkpoint continues.
      """)

  @Option(help: "The model folder to start from (asrc import / init-model output, or a Hugging Face folder).") var model: String
  @Option(help: "Training data: a TIMIT or LibriSpeech folder, or a .csv/.tsv/.jsonl manifest. Give it more than once to train on several corpora as one.") var train: [String]
  @Option(help: "Evaluation data, evaluated every --eval-steps and at the end.") var eval: String?
  @Option(help: "Where checkpoints and the final model go.") var outputDir: String
  @OptionGroup var backendOption: BackendOption
  @Option(
    help: ArgumentHelp(
      "Train on the step `asrc compile MODEL_DIR --training -o STEP_DIR` wrote (its libmodel.so); it must fit --model and this run's --bf16, --fp16, --gradient-checkpointing, --freeze-feature-encoder and --freeze-param. Without it, the C backend compiles the matching step itself (cached) and says where.",
      valueName: "STEP_DIR"))
  var compiled: String?
  @Option(
    help: ArgumentHelp(
      "Evaluate during training with pyctcdecode's beam search and this word n-gram language model (ARPA) instead of greedy decoding.",
      valueName: "FILE.arpa"))
  var evalLm: String?
  @Option(help: "With --eval-lm: the language model's weight (pyctcdecode's alpha).") var evalLmAlpha = 0.5
  @Option(help: "With --eval-lm: the bonus per word (pyctcdecode's beta).") var evalLmBeta = 1.5
  @Option(help: "With --eval-lm: beams kept per frame.") var evalBeamWidth = 100
  // Numbers are read unconditionally, so that negative values reach the range checks
  // (`--max-steps -1`) instead of being taken for options.
  @Option(parsing: .unconditional, help: "Utterances per training batch (the guide's 16).") var perDeviceTrainBatchSize = 16
  @Option(parsing: .unconditional, help: "Utterances per evaluation batch.") var perDeviceEvalBatchSize = 16
  @Option(parsing: .unconditional, help: "AdamW's peak learning rate (the guide's 1e-4; TrainingArguments' default is 5e-5).") var learningRate = 1e-4
  @Option(parsing: .unconditional, help: "AdamW's decoupled weight decay, not applied to biases and norms (the guide's 0.005; TrainingArguments' default is 0).") var weightDecay = 0.005
  @Option(parsing: .unconditional, help: "AdamW's beta1.") var adamBeta1 = 0.9
  @Option(parsing: .unconditional, help: "AdamW's beta2.") var adamBeta2 = 0.999
  @Option(parsing: .unconditional, help: "AdamW's epsilon.") var adamEpsilon = 1e-8
  @Option(parsing: .unconditional, help: "Steps of linear warm-up from 0 to the learning rate; below 1, a ratio of the total steps (as transformers 5.x).")
  var warmupSteps = 0.0
  @Option(parsing: .unconditional, help: "Warm-up as a ratio of the total steps (transformers 4.x's warmup_ratio); a positive --warmup-steps wins over it, as in 4.x.")
  var warmupRatio: Double?
  @Option(help: "The schedule: linear, cosine, cosine_with_restarts, polynomial (to 1e-7), constant (no warm-up) or constant_with_warmup, as transformers' get_scheduler.")
  var lrSchedulerType = "linear"
  @Option(parsing: .unconditional, help: "Clip the global gradient norm to this (0: no clipping).") var maxGradNorm = 1.0
  @Option(parsing: .unconditional, help: "Passes over the training data, when --max-steps is not positive.") var numTrainEpochs = 3.0
  @Option(parsing: .unconditional, help: "Total optimizer steps; overrides --num-train-epochs when positive (-1: use the epochs).") var maxSteps = -1
  @Flag(
    inversion: .prefixedNo,
    help: "Batch utterances of similar length together (transformers' LengthGroupedSampler; the guide's choice, TrainingArguments' default is off).")
  var groupByLength = true
  @Option(parsing: .unconditional, help: "Evaluate every this many steps, and after the last (0: only after the last).") var evalSteps = 500
  @Option(parsing: .unconditional, help: "Save a checkpoint every this many steps, and after the last (0: none).") var saveSteps = 500
  @Option(parsing: .unconditional, help: "Keep at most this many checkpoints of the run (the guide's 2).") var saveTotalLimit = 2
  @Option(parsing: .unconditional, help: "Log the loss every this many steps, and after the last.") var loggingSteps = 500
  @Option(parsing: .unconditional, help: "Seed of every random choice: shuffling, dropout, SpecAugment, LayerDrop.") var seed = 42
  @Flag(help: "Do not train the convolutional feature encoder.") var freezeFeatureEncoder = false
  @Option(
    help: ArgumentHelp(
      "Do not train this parameter, or the parameters of this module, by its state-dict name (ESPnet's --freeze_param); give it more than once for several.",
      discussion: "wav2vec2.feature_extractor.conv_layers.0 freezes that convolution's weight and norm; autodiff then leaves out the backward work below the lowest trained parameter.",
      valueName: "NAME"))
  var freezeParam: [String] = []
  @OptionGroup var checkpointOptions: CheckpointOptions
  @OptionGroup(title: "Data augmentation (training clips only)") var augmentationOptions: AugmentationOptions
  @Flag(help: "Mixed precision with f16 products and dynamic loss scaling (GradScaler: 65536 at the start, halved and the step skipped on overflow, doubled after 2,000 clean steps).")
  var fp16 = false
  @Flag(help: "Mixed precision with bf16 products (f32 master weights, norms, softmax and loss).") var bf16 = false
  @Option(help: "A checkpoint folder, or 'last' for the newest in --output-dir.") var resumeFromCheckpoint: String?
  @Option(parsing: .unconditional, help: "Batches decoded ahead of training.") var dataloaderNumWorkers = 2
  @Option(parsing: .unconditional, help: ArgumentHelp(
    "Pad each training batch's audio to a multiple of this many samples (the guide's collator's pad_to_multiple_of).",
    discussion: "Batches then come in fewer shapes, and the compiled step reuses the kernels it plans per shape (in bf16, oneDNN's primitives: without it, every new batch length builds new ones). For models without an attention mask the extra zeros reach the group norm, as they do in transformers."))
  var padToMultipleOf: Int?
  @Flag(help: "Keep the data's order: no shuffling, no length grouping.") var noShuffle = false
  @Option(help: "transformers 5.x's spelling of the sampler: random, sequential or group_by_length (overrides --group-by-length and --no-shuffle).")
  var trainSamplingStrategy: String?
  @Option(parsing: .unconditional, help: "Leave out utterances shorter than this many seconds.") var minDuration: Double?
  @Option(parsing: .unconditional, help: "Leave out utterances longer than this many seconds.") var maxDuration: Double?
  @Flag(help: ArgumentHelp(
    "Evaluate on padded batches even for models without an attention mask.",
    discussion: "For such models (group-norm feature encoders, like base) zero padding changes the outputs, so padded metrics depend on the batch size; by default only clips of one length share an evaluation batch. This flag pads as the guide's collator does (each row still decoded over its own frames), for comparison with transformers' batched evaluation."))
  var evalPaddedBatches = false
  @Flag(help: "Train into an --output-dir that holds another run (transformers 4.x's overwrite_output_dir): its checkpoints are kept and never rotated away (a run that would save a checkpoint of the same step is refused), its final model is replaced.")
  var overwriteOutputDir = false
  @Flag(inversion: .prefixedNo, help: "Log the loss of the first step too (on here; TrainingArguments' default is off).")
  var loggingFirstStep = true
  @Flag(help: "Evaluate once before the first step, as a baseline.") var evalOnStart = false
  @Flag(help: "Leave out each epoch's last batch when it is smaller than the batch size.") var dataloaderDropLast = false
  @Option(parsing: .unconditional, help: "Seed of the sampler's shuffling alone (default: --seed).") var dataSeed: Int?
  @Option(help: "A name for the run, recorded in training_args.json.") var runName: String?
  @Option(parsing: .unconditional, help: ArgumentHelp(
    "Sum the gradients of this many batches into each optimizer step.",
    discussion: "As the Trainer does for Wav2Vec2ForCTC, micro-batch losses are added, not averaged: the model takes **kwargs, so the Trainer counts its loss as already scaled. The logged loss is the sum too. An epoch's last step takes the batches that are left."))
  var gradientAccumulationSteps = 1
  @Option(help: "When to evaluate: steps (every --eval-steps, and after the last; the guide's choice, TrainingArguments' default is no), epoch, or no.")
  var evalStrategy: TrainingArguments.IntervalStrategy = .steps
  @Option(help: "When to save a checkpoint: steps (every --save-steps, and after the last), epoch, best (after an evaluation that improves --metric-for-best-model), or no.")
  var saveStrategy: TrainingArguments.SaveStrategy = .steps
  @Option(help: "When to log the loss: steps (every --logging-steps, and after the last), epoch, or no.")
  var loggingStrategy: TrainingArguments.IntervalStrategy = .steps
  @Option(parsing: .unconditional, help: "No evaluation before this many steps (or epochs, with --eval-strategy epoch).") var evalDelay = 0.0
  @Flag(inversion: .prefixedNo, help: "End with the best checkpoint's model (by --metric-for-best-model) rather than the last step's; needs --eval, and matching --save-strategy and --eval-strategy (or --save-strategy best).")
  var loadBestModelAtEnd = false
  @Option(help: "The metric that picks the best checkpoint: loss, wer or cer (eval_ prefix optional; default loss when one is needed).")
  var metricForBestModel: String?
  @Option(help: "Whether a higher metric is better: true or false (default: false for loss, wer and cer, where TrainingArguments' rule would say true for wer and cer).")
  var greaterIsBetter: Bool?
  @Option(help: "Where the logs also go: tensorboard (event files in --logging-dir, with the series transformers' TensorBoardCallback writes), all (every integration asrc has: tensorboard) or none.")
  var reportTo: ReportTo = .none
  @Option(help: ArgumentHelp(
    "TensorBoard's folder (transformers 4.x's logging_dir).",
    discussion: "Default: $TENSORBOARD_LOGGING_DIR (transformers 5.x's setting) if set, else the folder of the run being resumed, else OUTPUT_DIR/runs/<Mon><DD>_<HH>-<MM>-<SS>_<host> as transformers names it."))
  var loggingDir: String?

  /// report_to's values: one integration, every one, or none.
  enum ReportTo: String, ExpressibleByArgument, CaseIterable {
    case none, all, tensorboard

    var integrations: [TrainingArguments.Integration] {
      switch self {
      case .none: []
      case .all: TrainingArguments.Integration.allCases
      case .tensorboard: [.tensorboard]
      }
    }
  }

  /// The options as TrainingArguments.
  var trainingArguments: TrainingArguments {
    var arguments = TrainingArguments(outputDir: outputDir)
    arguments.perDeviceTrainBatchSize = perDeviceTrainBatchSize
    arguments.perDeviceEvalBatchSize = perDeviceEvalBatchSize
    arguments.learningRate = learningRate
    arguments.weightDecay = weightDecay
    arguments.adamBeta1 = adamBeta1
    arguments.adamBeta2 = adamBeta2
    arguments.adamEpsilon = adamEpsilon
    arguments.warmupSteps = warmupSteps
    arguments.warmupRatio = warmupRatio
    arguments.lrSchedulerType = lrSchedulerType
    arguments.maxGradNorm = maxGradNorm
    arguments.numTrainEpochs = numTrainEpochs
    arguments.maxSteps = maxSteps
    arguments.groupByLength = groupByLength
    arguments.noShuffle = noShuffle
    switch trainSamplingStrategy {
    case "random": (arguments.groupByLength, arguments.noShuffle) = (false, false)
    case "sequential": (arguments.groupByLength, arguments.noShuffle) = (false, true)
    case "group_by_length": (arguments.groupByLength, arguments.noShuffle) = (true, false)
    default: break
    }
    arguments.evalSteps = evalSteps
    arguments.saveSteps = saveSteps
    arguments.saveTotalLimit = saveTotalLimit
    arguments.loggingSteps = loggingSteps
    arguments.seed = seed
    arguments.freezeFeatureEncoder = freezeFeatureEncoder
    arguments.freezeParam = freezeParam.isEmpty ? nil : freezeParam
    arguments.gradientCheckpointing = checkpointOptions.gradientCheckpointing || checkpointOptions.budgetBytes != nil
    arguments.memoryBudget = checkpointOptions.budgetBytes
    arguments.fp16 = fp16
    arguments.bf16 = bf16
    arguments.resumeFromCheckpoint = resumeFromCheckpoint
    arguments.dataloaderNumWorkers = dataloaderNumWorkers
    arguments.padToMultipleOf = padToMultipleOf
    arguments.minDurationSeconds = minDuration
    arguments.maxDurationSeconds = maxDuration
    arguments.evalPaddedBatches = evalPaddedBatches
    arguments.overwriteOutputDir = overwriteOutputDir
    arguments.loggingFirstStep = loggingFirstStep
    arguments.evalOnStart = evalOnStart
    arguments.dataloaderDropLast = dataloaderDropLast
    arguments.dataSeed = dataSeed
    arguments.runName = runName
    arguments.gradientAccumulationSteps = gradientAccumulationSteps
    arguments.evalStrategy = evalStrategy
    arguments.saveStrategy = saveStrategy
    arguments.loggingStrategy = loggingStrategy
    arguments.evalDelay = evalDelay
    arguments.loadBestModelAtEnd = loadBestModelAtEnd
    arguments.metricForBestModel = metricForBestModel
    arguments.greaterIsBetter = greaterIsBetter
    arguments.reportTo = reportTo.integrations
    // As transformers 5.x's TensorBoardCallback, the environment names the folder when the option does not.
    arguments.loggingDir = loggingDir ?? ProcessInfo.processInfo.environment["TENSORBOARD_LOGGING_DIR"].map { NSString(string: $0).expandingTildeInPath }
    augmentationOptions.apply(to: &arguments)
    return arguments
  }

  /// Out-of-range values are usage errors (exit 64, as the parser's own), found before any work.
  func validate() throws {
    if let trainSamplingStrategy, !["random", "sequential", "group_by_length"].contains(trainSamplingStrategy) {
      throw ValidationError("--train-sampling-strategy must be random, sequential or group_by_length, not \(trainSamplingStrategy)")
    }
    var problems = trainingArguments.problems
    if (loadBestModelAtEnd || saveStrategy == .best) && eval == nil {
      problems.append("--\(loadBestModelAtEnd ? "load-best-model-at-end" : "save-strategy best") needs an evaluation set (--eval)")
    }
    if evalLm != nil && eval == nil { problems.append("--eval-lm needs an evaluation set (--eval)") }
    if evalBeamWidth <= 0 { problems.append("--eval-beam-width must be positive, not \(evalBeamWidth)") }
    if !evalLmAlpha.isFinite || !evalLmBeta.isFinite { problems.append("--eval-lm-alpha and --eval-lm-beta must be finite numbers") }
    if compiled != nil && backendOption.backend == .interp {
      problems.append("--compiled runs the C backend's library; it cannot go with --backend interp")
    }
    guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
  }

  func run() throws {
    if backendOption.backend == .c { LowPrecisionNote.emit(for: bf16 ? .bf16 : fp16 ? .fp16 : nil) }
    try reportingFailures {
      let arguments = trainingArguments
      // Checked before anything is loaded or written, so that a bad path costs nothing.
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: outputDir, isDirectory: &isDirectory), !isDirectory.boolValue {
        throw CommandFailure("--output-dir \(outputDir): it is a file, not a folder")
      }
      for (option, path) in [("--model", model)] + train.map({ ("--train", $0) }) + (eval.map { [("--eval", $0)] } ?? []) where !FileManager.default.fileExists(atPath: path) {
        throw CommandFailure("\(option) \(path): no such file or folder")
      }
      // Another run's checkpoints or final model: continuing it or starting over beside it must
      // be asked for (transformers' example scripts refuse a non-empty output_dir the same way).
      let earlier = Checkpoints.list(in: outputDir)
      let finalModel = ["model.safetensors", "trainer_state.json"].filter { FileManager.default.fileExists(atPath: outputDir + "/" + $0) }
      if (!earlier.isEmpty || !finalModel.isEmpty) && resumeFromCheckpoint == nil && !overwriteOutputDir {
        let names = earlier.map { ($0.path as NSString).lastPathComponent } + finalModel
        throw CommandFailure(
          "--output-dir \(outputDir) holds an earlier run (\(names.joined(separator: ", "))): continue it with --resume-from-checkpoint last, or start a new run there with --overwrite-output-dir (its checkpoints are kept; its final model is replaced)")
      }
      try IRFile.checkFolder(outputDir)
      if let folder = arguments.loggingDir, !arguments.reportTo.isEmpty {
        let source = loggingDir == nil ? "TENSORBOARD_LOGGING_DIR" : "--logging-dir"
        if let problem = PathCheck.problemCreatingFolder(folder) { throw CommandFailure("\(source) \(folder): \(problem)") }
      }
      try runTraining(arguments)
    }
  }

  private func runTraining(_ arguments: TrainingArguments) throws {
    let directory = try ModelDirectory.load(model)
    for warning in directory.warnings { warn(warning) }
    if let problem = try TrainingStepSpec(model: directory, arguments: arguments).frozenParametersProblem() { throw CommandFailure("\(model): \(problem)") }
    // The compiled step is read and checked before the data: a step that does not fit costs nothing.
    let compiledStep = try compiled.map { path in
      let folder = try CompiledStepFolder(path: path)
      try folder.check(fits: TrainingStepSpec(model: directory, arguments: arguments), weights: directory.weights)
      return folder
    }
    // The language model is read before the data, so that a malformed one costs nothing.
    let evaluationDecoder = try evalLm.map { path throws(CommandFailure) -> TranscriptDecoder in
      var settings = BeamSearchSettings()
      settings.languageModelPath = path
      settings.usesFolderLanguageModel = false
      settings.alpha = evalLmAlpha
      settings.beta = evalLmBeta
      settings.options.beamWidth = evalBeamWidth
      do {
        return try settings.decoder(for: directory, note: { note($0) }, warn: warn)
      } catch {
        throw CommandFailure("--eval-lm: \(error)")
      }
    }
    var options = Dataset.Options()
    options.minimumSeconds = arguments.minDurationSeconds
    options.maximumSeconds = arguments.maxDurationSeconds
    options.speedFactors = arguments.speedPerturb ?? []
    let trainSet = Dataset.prepare(try loadCorpora(train), tokenizer: directory.tokenizer, model: directory.configuration, options: options)
    print("train: " + trainSet.summary)
    let evalSet = try eval.map { Dataset.prepare(try loadCorpus($0), tokenizer: directory.tokenizer, model: directory.configuration, options: .evaluation) }
    if let evalSet { print("eval: " + evalSet.summary) }
    let trainer = try Trainer(model: directory, train: trainSet, evaluation: evalSet, arguments: arguments, backend: backendOption.backend, compiledStep: compiledStep, note: { note($0) }) { print($0) }
    if let evaluationDecoder {
      trainer.evaluationDecoder = evaluationDecoder
      note("evaluation: beam search (width \(evalBeamWidth)) with \(evalLm!), alpha \(evalLmAlpha), beta \(evalLmBeta)")
    }
    if arguments.overwriteOutputDir && arguments.resumeFromCheckpoint == nil && arguments.saveStrategy != .no {
      // The checkpoints this run may save must not land on the earlier run's (with the epoch or
      // best strategies, any step of the run may get one).
      let maxSteps = trainer.state.maxSteps
      let clashes = Checkpoints.list(in: arguments.outputDir).filter { checkpoint in
        arguments.saveStrategy == .steps
          ? arguments.saveSteps > 0 && (checkpoint.step % arguments.saveSteps == 0 || checkpoint.step == maxSteps) && checkpoint.step <= maxSteps
          : checkpoint.step <= maxSteps
      }.map { ($0.path as NSString).lastPathComponent }
      if !clashes.isEmpty {
        throw CommandFailure("--output-dir \(arguments.outputDir): this run would save \(clashes.joined(separator: ", ")), which the earlier run there already holds; choose another --output-dir")
      }
    }
    if let checkpoint = arguments.resumeFromCheckpoint {
      let path: String
      if checkpoint == "last" {
        guard let newest = Checkpoints.list(in: arguments.outputDir).last else { throw CommandFailure("\(arguments.outputDir): no checkpoint to resume from") }
        path = newest.path
      } else {
        path = checkpoint
      }
      try trainer.resume(from: path)
      if trainer.state.globalStep >= trainer.state.maxSteps {
        print("\(path) is the end of this run (step \(trainer.state.globalStep) of \(trainer.state.maxSteps)): nothing to train, nothing changed; raise --max-steps or --num-train-epochs to train on")
        return
      }
    }
    // Ctrl-C (SIGINT) or a job scheduler's SIGTERM: finish the step, save a checkpoint, exit cleanly.
    let flag = trainer.stopRequested
    // The exit status after the checkpoint is the shell's for the signal: 130 or 143.
    let received = SignalNumber()
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        FileHandle.standardError.write(Data("\nasrc: \(number == SIGINT ? "interrupt" : "terminate"): saving a checkpoint after this step (send it again to abort)\n".utf8))
        received.value = number
        flag.set()
        signal(number, SIG_DFL)
      }
      source.resume()
      return source
    }
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = try trainer.run()
    for source in sources { source.cancel() }
    let elapsed = clock.now - start
    switch outcome {
    case .interrupted(let checkpoint):
      print("interrupted: saved \(checkpoint); continue with --resume-from-checkpoint \(checkpoint)")
      throw ExitCode(128 + (received.value ?? SIGINT))
    case .finished:
      let last = trainer.state.logHistory.last { $0["eval_wer"] != nil }
      var summary = String(format: "trained %d steps in %.0f s", trainer.state.globalStep, Double(elapsed.components.seconds))
      if let last { summary += String(format: "; eval WER %.4f, CER %.4f", last["eval_wer"]!, last["eval_cer"]!) }
      if trainer.state.skippedSteps > 0 { summary += "; \(trainer.state.skippedSteps) steps skipped (non-finite loss or gradients)" }
      print(summary + "; model in \(arguments.outputDir)")
    }
  }
}

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Print WER and CER of a model on a corpus (as jiwer computes them) and write per-utterance results.",
    discussion: "Transcripts are greedy unless a language model is given (--lm FILE.arpa) or the model folder has one (a Wav2Vec2ProcessorWithLM import; --no-lm ignores it): then pyctcdecode's beam search decodes them, as asrc transcribe does.")

  @Option(help: "The model folder.") var model: String
  @Option(help: "A TIMIT or LibriSpeech folder, or a manifest.") var data: String
  @Option(parsing: .unconditional, help: "Utterances per batch. The metrics do not depend on it unless --padded-batches is given.") var batchSize = 16
  @Option(name: .shortAndLong, help: "Per-utterance results (.jsonl).") var output = "eval_results.jsonl"
  @Flag(help: ArgumentHelp(
    "Pad every batch, even for models without an attention mask.",
    discussion: "For such models (group-norm feature encoders, like base) zero padding changes the outputs, so padded metrics depend on the batch size; by default only clips of one length share a batch, which gives every clip the score it gets alone (as asrc transcribe does). This flag pads as the guide's collator does (each row still decoded over its own frames), for comparison with transformers' batched evaluation."))
  var paddedBatches = false
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var precisionOption: PrecisionOption
  @OptionGroup(title: "Beam search and language model") var decoding: DecodingOptions

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, not \(batchSize)") }
  }

  func run() throws {
    try reportingFailures {
      try checkWritableFile(output, option: "--output")
      let directory = try ModelDirectory.load(model)
      let dataset = Dataset.prepare(try loadCorpus(data), tokenizer: directory.tokenizer, model: directory.configuration, options: .evaluation)
      // Standard output holds the metrics alone (what a script reads); notes go to standard error.
      note(dataset.summary)
      let batching: Evaluator.Batching = paddedBatches ? .padded : .independentOfBatchSize
      var evaluator = try precisionOption.lowPrecision(noting: backendOption.backend).map { try Evaluator(model: directory, batching: batching, backend: backendOption.backend, precision: $0) }
        ?? Evaluator(model: directory, batching: batching, backend: backendOption.backend)
      evaluator.decoder = try decoding.decoder(for: directory)
      let result = try evaluator.evaluate(dataset, weights: directory.weights, batchSize: batchSize)
      for entry in result.skipped { warn("skipped \(entry)") }
      // The metrics first: a failure to write the file below must not hide them.
      print(String(format: "WER %.4f  CER %.4f  loss %.4f  (%d utterances in %.1f s)",
        result.wordErrorRate, result.characterErrorRate, result.loss, result.utterances.count, result.seconds))
      let lines = try result.utterances.map { String(decoding: try JSONSerialization.data(withJSONObject: $0.json, options: [.sortedKeys]), as: UTF8.self) }
      try IRFile.write(lines.joined(separator: "\n") + "\n", to: output)
      note("per-utterance results in \(output)")
    }
  }
}

struct InitModel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init-model",
    abstract: "Create a model folder with freshly initialised weights (transformers' initialisation) for a configuration and a vocabulary.")

  @Option(help: "base, large-lv60, or a config.json (vocab_size and pad_token_id are taken from the vocabulary).") var config: String
  @Option(help: "A vocab.json (e.g. from asrc vocab).") var vocab: String
  @Option(name: .shortAndLong, help: "The model folder to write.") var output: String
  @Option var seed: UInt64 = 0

  func run() throws {
    try reportingFailures {
      try IRFile.checkFolder(output)
      var configuration = try loadConfiguration(config)
      let folder = (vocab as NSString).deletingLastPathComponent
      let tokenizer = try CTCTokenizer.read(vocabularyFile: vocab, folder: folder.isEmpty ? "." : folder)
      guard let pad = tokenizer.padId else { throw CommandFailure("\(vocab): no pad token (the CTC blank)") }
      configuration.vocabSize = tokenizer.vocabulary.count
      configuration.padTokenId = pad
      let settings = FeatureExtractorSettings(returnAttentionMask: configuration.defaultReturnsAttentionMask)
      let graph = try ModelDirectory.buildGraph(configuration, settings, path: config)
      let model = ModelDirectory(
        configuration: configuration, featureExtractor: settings, tokenizer: tokenizer,
        weights: Initializer.weights(for: graph, config: configuration, seed: seed), graph: graph)
      try model.save(to: output)
      let count = model.weights.values.reduce(0) { $0 + $1.count }
      print("wrote \(output): \(configuration.numHiddenLayers) layers, hidden \(configuration.hiddenSize), \(count) parameters, \(configuration.vocabSize) tokens (blank \(tokenizer.padToken) = \(pad))")
    }
  }
}

/// The signal that asked a run to stop, set from the signal source's queue.
private final class SignalNumber: @unchecked Sendable {
  private let lock = NSLock()
  private var number: Int32?
  var value: Int32? {
    get { lock.withLock { number } }
    set { lock.withLock { number = newValue } }
  }
}

extension TrainingArguments.IntervalStrategy: ExpressibleByArgument {}
extension TrainingArguments.SaveStrategy: ExpressibleByArgument {}
