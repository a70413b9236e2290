/// The default pass pipelines of `asrc compile`, as data: the one place to add a pass to them.
///
/// Training compiles differentiate first (`autodiff`), so the cleanup that follows sees the
/// forward and backward graph together.
public enum Pipelines {
  /// Inference: the forward graph as built or imported.
  public static let inference = cleanup + fusion
  /// Training: `autodiff` first, then the same cleanup over forward and backward together.
  public static let training = ["autodiff"] + cleanup + fusion
  /// What a backend runs on a graph it is given whole (forward, or forward and backward already
  /// differentiated): cleanup, then fusion.
  public static let optimization = cleanup + fusion

  /// Constant folding and identities first, so fusion sees the smallest graph.
  static let cleanup = ["fold-constants", "simplify", "cse", "dce"]
  /// Reductions first (they take the elementwise work around them), then contractions' epilogues,
  /// then what elementwise chains are left; a final `dce` drops what regions absorbed.
  static let fusion = ["fuse-reductions", "fuse-epilogues", "fuse-elementwise", "dce"]

  public static func names(training: Bool) -> [String] { training ? Self.training : inference }

  /// The training pipeline with gradient checkpointing (`checkpoint=STRATEGY`): after the
  /// cleanup, whose `cse` would otherwise see the copies first, and before fusion.
  public static func training(checkpoint strategy: CheckpointStrategy) -> [String] {
    ["autodiff"] + cleanup + ["checkpoint=\(strategy)"] + fusion
  }

  /// The whole training pipeline for a training step's options, as `asrc compile --training`
  /// and the trainer's C path run it: f16 loss scaling before `autodiff`, the products in low
  /// precision after it, the cleanup, gradient checkpointing, then fusion.
  public static func training(precision: LowPrecision?, checkpoint strategy: CheckpointStrategy?) -> [String] {
    (precision == .fp16 ? ["scale-loss"] : []) + ["autodiff"] + (precision.map { ["mixed-precision=\($0)"] } ?? []) + cleanup
      + (strategy.map { ["checkpoint=\($0)"] } ?? []) + fusion
  }

  /// The passes after `autodiff` that checkpoint a training graph before a backend runs it
  /// (the backend's own `optimization` then fuses it).
  public static func checkpointing(_ strategy: CheckpointStrategy) -> [String] { cleanup + ["checkpoint=\(strategy)"] }

  /// The passes of a pipeline by name; `autodiff` differentiates only the parameters
  /// `trainable` accepts (`--freeze-feature-encoder`, `--freeze-param`), from `scaled_loss` when `scale-loss`
  /// is in the pipeline.
  public static func passes(
    _ names: [String], trainable: @escaping @Sendable (String) -> Bool = { _ in true }, bindings: [String: Int] = CheckpointDefaults.bindings
  ) throws(PassError) -> [Pass] {
    // After `scale-loss`, the backward starts from the scaled loss.
    let loss = names.contains("scale-loss") ? "scaled_loss" : "loss"
    return try PassRegistry.pipeline(names.joined(separator: ","), bindings: bindings).map { pass in
      pass.name == "autodiff" ? autodiff(loss: loss, trainable: trainable) : pass
    }
  }
}
