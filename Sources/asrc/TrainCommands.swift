import ArgumentParser
import Data
import Dispatch
import Foundation
import Formats
import Models
import Training

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fine-tune a model with the Hugging Face guide's recipe (AdamW, linear schedule, clipping, CTC loss) on the interpreter.",
    discussion: """
      Options are named after Hugging Face TrainingArguments. Writes checkpoint-STEP/ folders (at most \
      --save-total-limit) and, at the end, the model, trainer_state.json and training.svg into --output-dir. \
      Ctrl-C (or SIGTERM) finishes the current step, saves a checkpoint and exits; --resume-from-checkpoint continues.
      """)

  @Option(help: "The model folder to start from (asrc import / init-model output, or a Hugging Face folder).") var model: String
  @Option(help: "Training data: a TIMIT or LibriSpeech folder, or a .csv/.tsv/.jsonl manifest.") var train: String
  @Option(help: "Evaluation data, evaluated every --eval-steps and at the end.") var eval: String?
  @Option(help: "Where checkpoints and the final model go.") var outputDir: String
  @Option var perDeviceTrainBatchSize = 16
  @Option var perDeviceEvalBatchSize = 16
  @Option var learningRate = 1e-4
  @Option var weightDecay = 0.005
  @Option var adamBeta1 = 0.9
  @Option var adamBeta2 = 0.999
  @Option var adamEpsilon = 1e-8
  @Option var warmupSteps = 0
  @Option(help: "linear or constant.") var lrSchedulerType = "linear"
  @Option var maxGradNorm = 1.0
  @Option var numTrainEpochs = 3.0
  @Option(help: "Total optimizer steps; overrides --num-train-epochs when positive.") var maxSteps = -1
  @Option(help: "Group batches by length (transformers' LengthGroupedSampler): true or false.") var groupByLength = true
  @Option var evalSteps = 500
  @Option var saveSteps = 500
  @Option var saveTotalLimit = 2
  @Option var loggingSteps = 500
  @Option var seed = 42
  @Flag(help: "Do not train the convolutional feature encoder.") var freezeFeatureEncoder = false
  @Option(help: "A checkpoint folder, or 'last' for the newest in --output-dir.") var resumeFromCheckpoint: String?
  @Option(help: "Batches decoded ahead of training.") var dataloaderNumWorkers = 2
  @Flag(help: "Keep the data's order: no shuffling, no length grouping.") var noShuffle = false
  @Option(help: "Leave out utterances shorter than this many seconds.") var minDuration: Double?
  @Option(help: "Leave out utterances longer than this many seconds.") var maxDuration: Double?

  func run() throws {
    try reportingFailures {
      var arguments = TrainingArguments(outputDir: outputDir)
      arguments.perDeviceTrainBatchSize = perDeviceTrainBatchSize
      arguments.perDeviceEvalBatchSize = perDeviceEvalBatchSize
      arguments.learningRate = learningRate
      arguments.weightDecay = weightDecay
      arguments.adamBeta1 = adamBeta1
      arguments.adamBeta2 = adamBeta2
      arguments.adamEpsilon = adamEpsilon
      arguments.warmupSteps = warmupSteps
      arguments.lrSchedulerType = lrSchedulerType
      arguments.maxGradNorm = maxGradNorm
      arguments.numTrainEpochs = numTrainEpochs
      arguments.maxSteps = maxSteps
      arguments.groupByLength = groupByLength
      arguments.noShuffle = noShuffle
      arguments.evalSteps = evalSteps
      arguments.saveSteps = saveSteps
      arguments.saveTotalLimit = saveTotalLimit
      arguments.loggingSteps = loggingSteps
      arguments.seed = seed
      arguments.freezeFeatureEncoder = freezeFeatureEncoder
      arguments.resumeFromCheckpoint = resumeFromCheckpoint
      arguments.dataloaderNumWorkers = dataloaderNumWorkers
      arguments.minDurationSeconds = minDuration
      arguments.maxDurationSeconds = maxDuration
      guard perDeviceTrainBatchSize > 0, perDeviceEvalBatchSize > 0, loggingSteps > 0 else {
        throw CommandFailure("batch sizes and --logging-steps must be positive")
      }
      try IRFile.checkFolder(outputDir)
      try runTraining(arguments)
    }
  }

  private func runTraining(_ arguments: TrainingArguments) throws {
    let directory = try ModelDirectory.load(model)
    for warning in directory.warnings { warn(warning) }
    var options = Dataset.Options()
    options.minimumSeconds = arguments.minDurationSeconds
    options.maximumSeconds = arguments.maxDurationSeconds
    let trainSet = Dataset.prepare(try loadCorpus(train), tokenizer: directory.tokenizer, model: directory.configuration, options: options)
    print("train: " + trainSet.summary)
    let evalSet = try eval.map { Dataset.prepare(try loadCorpus($0), tokenizer: directory.tokenizer, model: directory.configuration, options: options) }
    if let evalSet { print("eval: " + evalSet.summary) }
    let trainer = try Trainer(model: directory, train: trainSet, evaluation: evalSet, arguments: arguments) { print($0) }
    if let checkpoint = arguments.resumeFromCheckpoint {
      let path: String
      if checkpoint == "last" {
        guard let newest = Checkpoints.list(in: arguments.outputDir).last else { throw CommandFailure("\(arguments.outputDir): no checkpoint to resume from") }
        path = newest.path
      } else {
        path = checkpoint
      }
      try trainer.resume(from: path)
    }
    // Ctrl-C (SIGINT) or a job scheduler's SIGTERM: finish the step, save a checkpoint, exit cleanly.
    let flag = trainer.stopRequested
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        FileHandle.standardError.write(Data("\nasrc: \(number == SIGINT ? "interrupt" : "terminate"): saving a checkpoint after this step (send it again to abort)\n".utf8))
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
      throw ExitCode(130)
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
    abstract: "Print WER and CER of a model on a corpus (as jiwer computes them) and write per-utterance results.")

  @Option(help: "The model folder.") var model: String
  @Option(help: "A TIMIT or LibriSpeech folder, or a manifest.") var data: String
  @Option var batchSize = 16
  @Option(name: .shortAndLong, help: "Per-utterance results (.jsonl); default MODEL/eval_results.jsonl.") var output: String?

  func run() throws {
    try reportingFailures {
      guard batchSize > 0 else { throw CommandFailure("--batch-size must be positive") }
      let path = output ?? model + "/eval_results.jsonl"
      try IRFile.checkWritable(path)
      let directory = try ModelDirectory.load(model)
      let dataset = Dataset.prepare(try loadCorpus(data), tokenizer: directory.tokenizer, model: directory.configuration)
      print(dataset.summary)
      let result = try Evaluator(model: directory).evaluate(dataset, weights: directory.weights, batchSize: batchSize)
      let lines = try result.utterances.map { String(decoding: try JSONSerialization.data(withJSONObject: $0.json, options: [.sortedKeys]), as: UTF8.self) }
      try IRFile.write(lines.joined(separator: "\n") + "\n", to: path)
      for entry in result.skipped { warn("skipped \(entry)") }
      print(String(format: "WER %.4f  CER %.4f  loss %.4f  (%d utterances in %.1f s; per-utterance results in %@)",
        result.wordErrorRate, result.characterErrorRate, result.loss, result.utterances.count, result.seconds, path))
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
