import Testing
import Training

/// `--pad-to-multiple-of` (the guide's collator's pad_to_multiple_of) reaches the training
/// batches: the collator's padding itself is checked against transformers in
/// CollatorFixtureTests.
@Suite struct PadToMultipleTests {
  let parity = TrainerParityTests()

  /// The fixture's model has a group-norm feature encoder and no attention mask, so the extra
  /// zeros change its loss, as they would in transformers; an option that never reached the
  /// collator would leave the losses equal.
  @Test func theTrainingBatchesArePadded() throws {
    func firstLoss(multiple: Int?) throws -> Double {
      var arguments = parity.arguments(output: parity.scratch.path("asrc-pad-multiple"))
      arguments.maxSteps = 1
      arguments.warmupSteps = 0
      arguments.padToMultipleOf = multiple
      let trainer = try parity.makeTrainer(arguments: arguments)
      _ = try trainer.run()
      return try #require(trainer.state.logHistory.compactMap { $0["loss"] }.first)
    }
    let plain = try firstLoss(multiple: nil), padded = try firstLoss(multiple: 16_000)
    #expect(plain != padded, "padding to a multiple of 16,000 samples left the loss at \(plain)")
    // A multiple of 1 pads nothing.
    #expect(try firstLoss(multiple: 1) == plain)
  }

  @Test func theMultipleIsChecked() {
    var arguments = TrainingArguments(outputDir: "out")
    arguments.padToMultipleOf = 0
    #expect(arguments.problems == ["--pad-to-multiple-of must be positive, at most 16000000 (1,000 s of audio), not 0"])
    arguments.padToMultipleOf = Int.max
    #expect(arguments.problems == ["--pad-to-multiple-of must be positive, at most 16000000 (1,000 s of audio), not \(Int.max)"])
    arguments.padToMultipleOf = 320
    #expect(arguments.problems.isEmpty)
  }
}
