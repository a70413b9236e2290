import ArgumentParser
import Decoding
import Foundation
import Formats
import IR
import Models

/// `--config base|large-lv60|FILE.json`
func loadConfiguration(_ name: String) throws(CommandFailure) -> Wav2Vec2Configuration {
  switch name {
  case "base": return .base
  case "large-lv60": return .largeLV60
  default:
    do {
      let result = try Wav2Vec2ConfigFile.read(name)
      for field in result.ignoredFields { warn("\(name): ignored config field \(field)") }
      return result.configuration
    } catch {
      throw CommandFailure("\(error)")
    }
  }
}

/// A note for the person at the terminal, not a result: standard error, so that standard output
/// holds only what a script would read.
func note(_ message: String) {
  FileHandle.standardError.write(Data("\(message)\n".utf8))
}

func warn(_ message: String) {
  FileHandle.standardError.write(Data("asrc: warning: \(message)\n".utf8))
}

struct Model: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the IR of Wav2Vec2ForCTC (logits and CTC loss) for a configuration.",
    discussion: "Presets: base (facebook/wav2vec2-base) and large-lv60 (facebook/wav2vec2-large-lv60), or a Hugging Face config.json.")

  @Option(help: "base, large-lv60, or a config.json path.") var config: String
  @Option(name: .shortAndLong, help: "The .ir file to write.") var output: String
  @Option(help: "Take an attention_mask input: on, off, or auto (on for layer-norm feature encoders, as transformers does).")
  var attentionMask: String = "auto"
  @Flag(help: "Leave out the CTC loss (logits only).") var noLoss = false
  @Flag(help: "Build the training graph: dropout masks from a dropout_seed input and SpecAugment from mask_time_indices.") var training = false

  func run() throws {
    try reportingFailures {
      let configuration = try loadConfiguration(config)
      let usesMask: Bool
      switch attentionMask {
      case "auto": usesMask = configuration.defaultReturnsAttentionMask
      case "on": usesMask = true
      case "off": usesMask = false
      default: throw CommandFailure("--attention-mask must be on, off or auto, not \(attentionMask)")
      }
      let graph: Graph
      do {
        graph = try Wav2Vec2Graph.build(configuration, options: .init(withLoss: !noLoss, usesAttentionMask: usesMask, training: training))
      } catch {
        throw CommandFailure("\(config): \(error)")
      }
      try IRFile.write(Printer.print(graph), to: output)
      print("wrote \(output): \(graph.allNodes.count) nodes, \(graph.parameters.count) parameters, outputs \(graph.outputs.map(\.name).joined(separator: ", "))")
    }
  }
}

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Import a Hugging Face Wav2Vec2ForCTC folder into an asrc model folder.",
    discussion: """
      SRC holds config.json, model.safetensors, vocab.json, tokenizer_config.json and \
      preprocessor_config.json (transformers 4.x) or processor_config.json (5.x), or SRC is an .onnx export \
      (with --vocab, and --config unless the configuration can be inferred from the graph). MODEL_DIR gets \
      the Hugging Face files (loadable by transformers) plus model.ir.

      A Wav2Vec2ProcessorWithLM folder also has alphabet.json and language_model/ (attrs.json, unigrams.txt and the \
      n-gram model): they are checked (the ARPA file is read through) and copied, and asrc transcribe and eval then \
      decode with that language model and its alpha, beta and unknown-word offset unless told --no-lm.
      """)

  @Argument(help: "The Hugging Face folder, or an .onnx file (legacy or dynamo torch.onnx export, or optimum).") var source: String
  @Option(name: .shortAndLong, help: "The asrc model folder to write.") var output: String
  @Option(help: "For ONNX: a config.json to use instead of inferring the configuration from the graph.") var config: String?
  @Option(help: "For ONNX: the vocab.json of the model (ONNX files carry none).") var vocab: String?

  func run() throws {
    try reportingFailures {
      try IRFile.checkFolder(output)
      let model: ModelDirectory
      do {
        model = source.lowercased().hasSuffix(".onnx")
          ? try ModelDirectory.importONNX(source, configuration: config, vocabulary: vocab) : try ModelDirectory.load(source)
      } catch {
        throw CommandFailure("\(error)")
      }
      for warning in model.warnings { warn(warning) }
      let languageModel = try checkLanguageModel(model)
      do { try model.save(to: output) } catch { throw CommandFailure("\(error)") }
      let parameterCount = model.graph.parameters.reduce(0) { $0 + (model.graph.type(of: $1).staticElementCount ?? 0) }
      print("imported \(source) -> \(output): \(model.configuration.numHiddenLayers) layers, hidden \(model.configuration.hiddenSize), \(parameterCount) parameters, vocabulary \(model.configuration.vocabSize), attention mask \(model.featureExtractor.returnAttentionMask ? "on" : "off")\(languageModel)")
    }
  }
}

extension Import {
  /// Reads a Wav2Vec2ProcessorWithLM folder's language model through, so that a file asrc
  /// cannot use is reported now rather than at the first transcription; a KenLM binary model
  /// is copied with a warning. The summary for the import's line (empty without one).
  func checkLanguageModel(_ model: ModelDirectory) throws(CommandFailure) -> String {
    guard let files = model.decoderFiles?.languageModel else { return "" }
    let weights = "alpha \(files.alpha), beta \(files.beta), unknown-word offset \(files.unknownScoreOffset)"
    do {
      let ngrams = try ARPAReader.read(files.modelPath)
      for warning in ngrams.warnings { warn(warning) }
      return ", language model \(URL(fileURLWithPath: files.modelPath).lastPathComponent) (order \(ngrams.order), \(ngrams.counts.map(String.init).joined(separator: "/")) n-grams; \(weights))"
    } catch where files.isKenLMBinary && error.line == nil {
      warn("\(error)\nIt is copied as it is; asrc transcribe and eval need --lm FILE.arpa or --no-lm with this model.")
      return ", language model \(URL(fileURLWithPath: files.modelPath).lastPathComponent) (KenLM binary, not readable by asrc)"
    } catch {
      throw CommandFailure("\(error)")
    }
  }
}
