import ArgumentParser
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import SystemInfo
import Audio
import CRuntime
import Data
import Training

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Benchmarks: inference (seconds per audio-second), train (seconds per step), audio (decoding throughput) and decode (beam search).",
    subcommands: [InferenceBench.self, TrainingBench.self, AudioBench.self, DecodingBench.self], defaultSubcommand: InferenceBench.self)
}

struct InferenceBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inference",
    abstract: "Measure inference speed in seconds per audio-second, on the interpreter or the C backend.",
    discussion: """
      Builds the configuration with freshly initialised weights, runs a warm-up pass (which also \
      builds the C library, or finds it in the cache), then times --repeat passes over --seconds of audio \
      and prints the median and the peak resident memory. --save-model writes the model as a Hugging Face \
      folder so that tools/bench-peers can time PyTorch, ONNX Runtime and OpenVINO on the very same weights.
      """)

  @Option(help: "base, large-lv60, or a config.json path.") var config = "base"
  @Option(help: "Seconds of audio per pass.") var seconds = 10.0
  @Option(help: "Batch size.") var batch = 1
  @Option(help: "Timed passes (the median is reported).") var `repeat` = 3
  @Option(help: "Also write the benchmarked model to this folder (Hugging Face format).") var saveModel: String?
  @Flag(help: "Print the time spent in each op over the timed passes.") var profile = false
  @Option(help: "Run these passes (comma-separated, e.g. fuse-reductions,fuse-epilogues,fuse-elementwise,dce) on the graph before timing it.")
  var passes: String?
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var precisionOption: PrecisionOption

  func validate() throws {
    if profile && backendOption.backend == .c { throw ValidationError("--profile times the interpreter's ops; use it with --backend interp") }
  }

  func run() throws {
    try reportingFailures {
      guard seconds > 0, batch > 0 else { throw CommandFailure("--seconds and --batch must be positive") }
      let backend = backendOption.backend
      let configuration = try loadConfiguration(config)
      let settings = FeatureExtractorSettings(returnAttentionMask: configuration.defaultReturnsAttentionMask)
      var graph: IR.Graph
      do { graph = try ModelDirectory.buildGraph(configuration, settings, path: config) } catch { throw CommandFailure("\(error)") }
      if let passes {
        let samples = Int(seconds * 16000)
        graph = try runPasses(passes, on: graph, bindings: ["B": batch, "S": samples, "L": max(1, configuration.frameCount(samples: samples) / 4)])
      }
      var tokenizer = CTCTokenizer.facebookCharacters
      if configuration.vocabSize != tokenizer.vocabulary.count || configuration.padTokenId != 0 {
        tokenizer = CTCTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: (0..<configuration.vocabSize).map { ("t\($0)", $0) }), padToken: "t\(configuration.padTokenId)")
      }
      let model = ModelDirectory(
        configuration: configuration, featureExtractor: settings, tokenizer: tokenizer,
        weights: Initializer.weights(for: graph, config: configuration, seed: 0), graph: graph)
      if let saveModel {
        do { try model.save(to: saveModel) } catch { throw CommandFailure("\(error)") }
      }
      var recognizer: Recognizer
      let opProfile = OpProfile()
      do { recognizer = try Recognizer(model: model, backend: backend, precision: precisionOption.lowPrecision(noting: backend)) } catch { throw CommandFailure("\(error)") }
      var random = SeededRandom(seed: 1)
      let sampleCount = Int(seconds * 16000)
      let clips = (0..<batch).map { _ in (0..<sampleCount).map { _ in Float(random.normal() * 0.1) } }
      let clock = ContinuousClock()
      do {
        _ = try recognizer.logits(clips)
        if profile { recognizer.executor = Interpreter(profile: opProfile) }
        var timings: [Double] = []
        for _ in 0..<max(1, self.repeat) {
          let elapsed = try clock.measure { _ = try recognizer.logits(clips) }
          timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        let median = timings.sorted()[timings.count / 2]
        let audioSeconds = seconds * Double(batch)
        print(String(format: "asrc %@%@: %.3f s per audio-second (%@, %d × %.1f s, median of %d: %.2f s; OpenBLAS threads %d; peak RSS %.2f GiB)%@",
          backend.displayName, precisionOption.lowPrecision.map { " \($0)" } ?? "", median / audioSeconds, config, batch, seconds, timings.count, median, LinkedLibraries.openBLASThreads,
          Double(peakResidentBytes()) / 1_073_741_824, passes.map { "; passes \($0)" } ?? ""))
        if profile { print(opProfile.report) }
      } catch {
        throw CommandFailure("\(error)")
      }
    }
  }
}

/// Runs `--passes` on a benchmark's graph, printing each pass's time and node counts and the
/// estimated bytes moved before and after, for the benchmark's shapes.
func runPasses(_ names: String, on graph: IR.Graph, bindings: [String: Int]) throws -> IR.Graph {
  do {
    let (result, records) = try PassManager(passes: try PassRegistry.pipeline(names)).run(graph)
    for record in records {
      print(String(format: "pass %@: %.3f s, %d → %d nodes", record.pass, record.seconds, record.nodesBefore, record.nodesAfter))
    }
    print(try TrafficEstimate.summary(before: graph, after: result, bindings: bindings))
    return result
  } catch {
    throw CommandFailure("\(error)")
  }
}

struct AudioBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audio",
    abstract: "Measure decode + resample to 16 kHz + normalise throughput over a corpus, in utterances per second.")

  @Option(help: "A TIMIT or LibriSpeech folder, or a manifest.") var data: String
  @Option(help: "At most this many utterances.") var limit: Int?

  func run() throws {
    try reportingFailures {
      let corpus = try loadCorpus(data)
      let utterances = Array(corpus.utterances.prefix(limit ?? corpus.utterances.count))
      let clock = ContinuousClock()
      var audioSeconds = 0.0
      var failures: [SkippedEntry] = []
      let elapsed = clock.measure {
        for utterance in utterances {
          do {
            let samples = try AudioFile.load(utterance.audioPath)
            audioSeconds += Double(samples.count) / 16000
            _ = FeatureExtractor.normalize(samples)
          } catch {
            failures.append(SkippedEntry(path: utterance.audioPath, reason: (error as? AudioError)?.reason ?? "\(error)"))
          }
        }
      }
      guard failures.count < utterances.count else {
        throw CommandFailure("\(UnusableDataError(data: data, purpose: "the audio benchmark", skipped: corpus.skipped + failures))")
      }
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      print(String(format: "audio loading: %.0f utterances/s, %.0f× real time (%d utterances, %.1f s of audio in %.2f s, one thread; %d failed)",
        Double(utterances.count) / seconds, audioSeconds / seconds, utterances.count, audioSeconds, seconds, failures.count))
    }
  }
}

struct TrainingBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Measure training-step time (forward, backward, clipping, AdamW) in seconds per audio-second.",
    discussion: "Uses the training graph (dropout, SpecAugment and LayerDrop as configured) on random audio and labels. --save-model writes the model so that tools/bench-train can time PyTorch on the same weights.")

  @Option(help: "base, large-lv60, or a config.json path.") var config = "base"
  @Option(help: "Seconds of audio per utterance.") var seconds = 4.0
  @Option(help: "Batch size.") var batch = 4
  @Option(help: "Timed steps (the median is reported).") var `repeat` = 3
  @Option(help: "Also write the benchmarked model to this folder (Hugging Face format).") var saveModel: String?
  @Flag(help: "Print the time spent in each op over the timed steps.") var profile = false
  @Option(help: "Run these passes (comma-separated) on the training graph after autodiff, e.g. fuse-reductions,fuse-epilogues,fuse-elementwise,dce.")
  var passes: String?
  @Flag(help: "Train without the feature encoder's parameters (the guide's freeze_feature_encoder()).") var freezeFeatureEncoder = false
  @Option(help: ArgumentHelp("Train without this parameter or module, by its state-dict name (as asrc train); repeatable.", valueName: "NAME"))
  var freezeParam: [String] = []
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var checkpointOptions: CheckpointOptions
  @OptionGroup var precisionOption: PrecisionOption

  func validate() throws {
    if profile && backendOption.backend == .c { throw ValidationError("--profile times the interpreter's ops; use it with --backend interp") }
    if freezeParam.contains(where: \.isEmpty) { throw ValidationError(FrozenParameters.emptyNameProblem) }
  }

  func run() throws {
    try reportingFailures {
      guard seconds > 0, batch > 0 else { throw CommandFailure("--seconds and --batch must be positive") }
      let backend = backendOption.backend
      let configuration = try loadConfiguration(config)
      let settings = FeatureExtractorSettings(returnAttentionMask: configuration.defaultReturnsAttentionMask)
      let evalGraph = try ModelDirectory.buildGraph(configuration, settings, path: config)
      let tokenizer = CTCTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: (0..<configuration.vocabSize).map { ("t\($0)", $0) }), padToken: "t\(configuration.padTokenId)")
      let model = ModelDirectory(
        configuration: configuration, featureExtractor: settings, tokenizer: tokenizer,
        weights: Initializer.weights(for: evalGraph, config: configuration, seed: 0), graph: evalGraph)
      if let saveModel { try model.save(to: saveModel) }
      // Checked against the training graph's parameters, as asrc train checks them.
      let training = try Wav2Vec2Graph.build(configuration, options: .init(usesAttentionMask: settings.returnAttentionMask, training: true))
      let frozen = FrozenParameters(featureEncoder: freezeFeatureEncoder, prefixes: freezeParam)
      if let problem = frozen.problem(parameterNames: training.parameters.map { training.name(of: $0) }) { throw CommandFailure("--config \(config): \(problem)") }
      var random = SeededRandom(seed: 1)
      let samples = Int(seconds * 16000)
      let frames = configuration.frameCount(samples: samples)
      let labelLength = max(1, frames / 4)
      if let passes {
        // The step builds and fuses its own graph; this run only reports what the passes do.
        let differentiated = try PassManager(passes: [autodiff(trainable: frozen.trainable)]).run(training).graph
        _ = try runPasses(passes, on: differentiated, bindings: ["B": batch, "S": samples, "L": labelLength])
      }
      let bindings = ["B": batch, "S": samples, "L": labelLength]
      var stepPasses: [Pass] = []
      do {
        if let strategy = checkpointOptions.strategy { stepPasses += try Pipelines.passes(Pipelines.checkpointing(strategy), bindings: bindings) }
        if let passes { stepPasses += try PassRegistry.pipeline(passes, bindings: bindings) }
      } catch {
        throw CommandFailure("\(error)")
      }
      let checkpointing = checkpointOptions.strategy != nil
      let timings = try TrainingStepBenchmark.run(
        model: model, batch: batch, samples: samples, labelLength: labelLength, steps: max(1, self.repeat), random: &random, profile: profile ? OpProfile() : nil,
        passes: stepPasses, frozenParameters: frozen, backend: backend,
        precision: precisionOption.lowPrecision(noting: backend)) { before, after in
          if checkpointing { print(try CheckpointReport(before: before, after: after, bindings: bindings).summary) }
        }
      let median = timings.seconds.sorted()[timings.seconds.count / 2]
      print(String(format: "asrc training step, %@%@: %.3f s per audio-second (%@, batch %d × %.1f s%@, median of %d: %.3f s per step; peak RSS %.2f GiB)",
        backend.displayName, precisionOption.lowPrecision.map { " \($0)" } ?? "", median / (seconds * Double(batch)), config, batch, seconds, frozen.isEmpty ? "" : ", frozen: \(frozen.summary)",
        timings.seconds.count, median, Double(peakResidentBytes()) / 1_073_741_824) + (checkpointOptions.strategy.map { "; checkpoint=\($0)" } ?? "")
        + (passes.map { "; passes \($0)" } ?? ""))
      if let report = timings.profile { print(report) }
    }
  }
}
