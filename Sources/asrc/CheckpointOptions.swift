import ArgumentParser
import Passes

/// `--gradient-checkpointing` and `--memory-budget`, shared by train, grad and bench train.
struct CheckpointOptions: ParsableArguments {
  @Flag(help: "Recompute activations in the backward instead of keeping them: the checkpoint pass with every layer a segment, as transformers' gradient_checkpointing.")
  var gradientCheckpointing = false
  @Option(
    help: ArgumentHelp(
      "Recompute until the planned peak of the largest batch fits this budget (the checkpoint pass's budget strategy; implies --gradient-checkpointing).",
      valueName: "BYTES[KiB|MiB|GiB]"))
  var memoryBudget: String?

  /// The budget in bytes, if one was given.
  var budgetBytes: Int? { memoryBudget.flatMap(CheckpointStrategy.bytes) }

  /// The strategy asked for; nil without checkpointing.
  var strategy: CheckpointStrategy? {
    if let budgetBytes { return .budget(bytes: budgetBytes) }
    return gradientCheckpointing ? .layers : nil
  }

  func validate() throws {
    if let memoryBudget, (budgetBytes ?? 0) <= 0 {
      throw ValidationError("--memory-budget \(memoryBudget): a positive number of bytes, optionally with KiB, MiB or GiB (e.g. 4GiB)")
    }
  }
}
