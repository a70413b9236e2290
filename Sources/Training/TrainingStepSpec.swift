import Formats
import Foundation
import IR
import Models
import Passes

/// Everything a training step's graph is built from: the model's configuration, whether its
/// feature extractor passes an attention mask, and the training options that change the graph
/// (frozen parameters, mixed precision, gradient checkpointing). Two equal specs give the
/// same graph; `asrc compile --training` records its spec in `training_step.json` so that
/// `asrc train --compiled` can check a step against the model folder and the options it is given.
public struct TrainingStepSpec: Equatable, Sendable {
  public var configuration: Wav2Vec2Configuration
  public var usesAttentionMask: Bool
  public var frozenParameters: FrozenParameters
  public var precision: LowPrecision?
  public var checkpoint: CheckpointStrategy?

  public init(
    configuration: Wav2Vec2Configuration, usesAttentionMask: Bool, frozenParameters: FrozenParameters = FrozenParameters(), precision: LowPrecision? = nil,
    checkpoint: CheckpointStrategy? = nil
  ) {
    self.configuration = configuration
    self.usesAttentionMask = usesAttentionMask
    self.frozenParameters = frozenParameters
    self.precision = precision
    self.checkpoint = checkpoint
  }

  /// The step a model folder trains with under these arguments.
  public init(model: ModelDirectory, arguments: TrainingArguments) {
    self.init(
      configuration: model.configuration, usesAttentionMask: model.featureExtractor.returnAttentionMask,
      frozenParameters: arguments.frozenParameters, precision: arguments.lowPrecision, checkpoint: arguments.checkpointStrategy)
  }

  /// "bf16, checkpointing layers, frozen: feature encoder": the options, for reports.
  public var summary: String {
    "\(precision?.rawValue ?? "fp32"), checkpointing \(checkpoint.map { "\($0)" } ?? "off"), frozen: \(frozenParameters.summary)"
  }

  /// The pass names that turn the forward graph into this step: the compiler's whole training
  /// pipeline (`fused`, what the C backend runs), or only the passes that change what is
  /// computed (the interpreter's reference graph: no cleanup or fusion, unless checkpointing
  /// needs the cleanup first).
  public func pipeline(fused: Bool) -> [String] {
    if fused { return Pipelines.training(precision: precision, checkpoint: checkpoint) }
    return (precision == .fp16 ? ["scale-loss"] : []) + ["autodiff"] + (precision.map { ["mixed-precision=\($0)"] } ?? [])
      + (checkpoint.map { Pipelines.checkpointing($0) } ?? [])
  }

  /// Parameters `autodiff` differentiates.
  public var trainable: @Sendable (String) -> Bool { frozenParameters.trainable }

  /// Why the frozen parameters cannot go with this step (a name that is none of its graph's
  /// parameters nor a module of them, or nothing left to train), or nil.
  public func frozenParametersProblem() throws -> String? {
    guard !frozenParameters.isEmpty else { return nil }
    let graph = try forwardGraph()
    return frozenParameters.problem(parameterNames: graph.parameters.map { graph.name(of: $0) })
  }

  /// The forward graph in training mode (dropout, SpecAugment and LayerDrop inputs).
  public func forwardGraph() throws -> Graph {
    try Wav2Vec2Graph.build(configuration, options: .init(usesAttentionMask: usesAttentionMask, training: true))
  }

  /// The training graph, and the checkpoint pass's plan when it ran. `bindings` are the sizes
  /// a memory budget plans for.
  public func build(fused: Bool, bindings: [String: Int] = CheckpointDefaults.bindings) throws -> (graph: Graph, checkpointReport: CheckpointReport?) {
    let passes = try Pipelines.passes(pipeline(fused: fused), trainable: trainable, bindings: bindings)
    var beforeCheckpoint: Graph?
    var report: CheckpointReport?
    var previous = try forwardGraph()
    let result = try PassManager(passes: passes).run(previous) { pass, _, graph in
      if pass == "checkpoint", beforeCheckpoint == nil {
        beforeCheckpoint = previous
        report = try CheckpointReport(before: previous, after: graph, bindings: bindings)
      }
      previous = graph
    }
    return (result.graph, report)
  }

  // MARK: training_step.json

  /// The spec as `training_step.json` holds it (the configuration in config.json's spelling).
  public var json: [String: Any] {
    [
      "config": Wav2Vec2ConfigFile.json(configuration),
      "uses_attention_mask": usesAttentionMask,
      "freeze_feature_encoder": frozenParameters.featureEncoder,
      "freeze_param": frozenParameters.prefixes,
      "precision": precision?.rawValue ?? "fp32",
      "gradient_checkpointing": checkpoint.map { "\($0)" } ?? "none",
    ]
  }

  public init(json: [String: Any], path: String) throws(FormatError) {
    guard let config = json["config"] as? [String: Any] else { throw FormatError(path, "no \"config\" object") }
    configuration = try Wav2Vec2ConfigFile.parse(config, path: path).configuration
    guard let mask = json["uses_attention_mask"] as? Bool, let frozenEncoder = json["freeze_feature_encoder"] as? Bool else {
      throw FormatError(path, "\"uses_attention_mask\" and \"freeze_feature_encoder\" must be true or false")
    }
    usesAttentionMask = mask
    // Steps compiled before --freeze-param have no list: nothing else was frozen.
    var prefixes: [String] = []
    if let list = json["freeze_param"] {
      guard let names = list as? [String] else { throw FormatError(path, "\"freeze_param\" must be a list of parameter or module names") }
      prefixes = names
    }
    frozenParameters = FrozenParameters(featureEncoder: frozenEncoder, prefixes: prefixes)
    switch json["precision"] as? String {
    case "fp32": precision = nil
    case let name? where LowPrecision(rawValue: name) != nil: precision = LowPrecision(rawValue: name)
    default: throw FormatError(path, "\"precision\" must be fp32, bf16 or fp16")
    }
    switch json["gradient_checkpointing"] as? String {
    case "none": checkpoint = nil
    case let text?:
      do { checkpoint = try CheckpointStrategy(parsing: text) } catch { throw FormatError(path, "\"gradient_checkpointing\": \(error)") }
    default: throw FormatError(path, "\"gradient_checkpointing\" must be none, sqrt, layers or budget:BYTES")
    }
  }

  /// How `other` (what a run asks for) differs from this spec (what a step was compiled for),
  /// one readable line per difference; empty when they are equal.
  public func differences(from other: TrainingStepSpec) -> [String] {
    var lines: [String] = []
    let mine = Wav2Vec2ConfigFile.json(configuration)
    let theirs = Wav2Vec2ConfigFile.json(other.configuration)
    for key in Set(mine.keys).union(theirs.keys).sorted() {
      let compiled = mine[key].map(Self.text) ?? "absent"
      let given = theirs[key].map(Self.text) ?? "absent"
      if compiled != given { lines.append("config \(key): compiled for \(compiled), the model folder has \(given)") }
    }
    func compare(_ name: String, _ compiled: String, _ given: String) {
      if compiled != given { lines.append("\(name): compiled for \(compiled), this run asks for \(given)") }
    }
    compare("attention mask (the feature extractor's return_attention_mask)", "\(usesAttentionMask)", "\(other.usesAttentionMask)")
    compare("--freeze-feature-encoder", "\(frozenParameters.featureEncoder)", "\(other.frozenParameters.featureEncoder)")
    func names(_ frozen: FrozenParameters) -> String { frozen.prefixes.isEmpty ? "none" : frozen.prefixes.joined(separator: ", ") }
    compare("--freeze-param", names(frozenParameters), names(other.frozenParameters))
    compare("precision (--bf16, --fp16)", precision?.rawValue ?? "fp32", other.precision?.rawValue ?? "fp32")
    compare("gradient checkpointing", checkpoint.map { "\($0)" } ?? "none", other.checkpoint.map { "\($0)" } ?? "none")
    return lines
  }

  private static func text(_ value: Any) -> String {
    // Both sides come from Wav2Vec2ConfigFile.json: Swift values, not NSNumbers.
    if let array = value as? [Any] { return "[" + array.map(text).joined(separator: ", ") + "]" }
    return "\(value)"
  }
}
