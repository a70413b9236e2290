import CRuntime
import Data
import Foundation
import Formats
import Models
import TestSupport
import Testing
import Training

/// Data augmentation in the Trainer: resumable bit for bit, real, never applied to evaluation,
/// and its options checked.
@Suite struct AugmentationTrainingTests {
  let parity = TrainerParityTests()

  /// Speed perturbation, silence, gain and white noise on shuffled, length-grouped batches.
  func augmented(output: String) -> TrainingArguments {
    var arguments = parity.arguments(output: output)
    arguments.noShuffle = false
    arguments.groupByLength = true
    arguments.speedPerturb = [0.9, 1.0, 1.1]
    arguments.noiseSnrDb = [5, 20]
    arguments.noiseProb = 0.8
    arguments.gainDb = [-6, 6]
    arguments.startSilence = [0, 0.2]
    arguments.endSilence = [0, 0.1]
    arguments.silenceProb = 0.5
    return arguments
  }

  /// A run stopped after step 4 and resumed repeats the straight run exactly: each draw comes
  /// from (seed, epoch, utterance), not from how far a loader had got.
  @Test(arguments: Backend.allCases) func resumingWithAugmentationRepeatsTheTrajectory(backend: Backend) throws {
    let losses = try parity.resumedRunRepeatsTheStraightOne(arguments: augmented, backend: backend)
    // The augmentation is real: without it the same run goes elsewhere.
    let plain = try parity.makeTrainer(arguments: {
      var arguments = augmented(output: parity.scratch.path("asrc-plain"))
      (arguments.speedPerturb, arguments.noiseSnrDb, arguments.noiseProb, arguments.gainDb) = (nil, nil, nil, nil)
      (arguments.startSilence, arguments.endSilence, arguments.silenceProb) = (nil, nil, nil)
      return arguments
    }(), backend: backend)
    _ = try plain.run()
    let plainLosses = plain.state.logHistory.compactMap { $0["loss"] }
    #expect(plainLosses.count == losses.count && plainLosses != losses, "augmentation changed nothing")
  }

  /// Silence alone reaches the loader: the same run with it trains on other batches.
  @Test func silenceAloneChangesTheTrajectory() throws {
    func losses(_ name: String, _ change: (inout TrainingArguments) -> Void) throws -> [Double] {
      var arguments = parity.arguments(output: parity.scratch.path(name))
      change(&arguments)
      let trainer = try parity.makeTrainer(arguments: arguments)
      _ = try trainer.run()
      return trainer.state.logHistory.compactMap { $0["loss"] }
    }
    let plain = try losses("asrc-unpadded") { _ in }
    let padded = try losses("asrc-padded") { $0.startSilence = [0.1, 0.3] }
    #expect(!plain.isEmpty && plain.count == padded.count && plain != padded, "\(plain) against \(padded)")
  }

  /// Evaluation sees the clips as they are: before any step, the metrics with augmentation on
  /// are those without, bit for bit.
  @Test func evaluationIsNeverAugmented() throws {
    func startMetrics(_ arguments: TrainingArguments) throws -> [String: Double] {
      var arguments = arguments
      arguments.evalOnStart = true
      arguments.maxSteps = 2
      let trainer = try parity.makeTrainer(arguments: arguments, evaluate: true)
      _ = try trainer.run()
      return try #require(trainer.state.logHistory.first { $0["eval_loss"] != nil && $0["step"] == 0 })
    }
    let base = parity.scratch.path("asrc-eval")
    let withAugmentation = try startMetrics(augmented(output: base + "/augmented"))
    let without = try startMetrics(parity.arguments(output: base + "/plain"))
    for name in TrainingArguments.evaluationMetrics { #expect(withAugmentation[name] == without[name], "\(name) changed with augmentation") }
  }

  @Test func augmentationOptionsAreChecked() {
    var arguments = TrainingArguments(outputDir: "out")
    #expect(arguments.problems.isEmpty && arguments.augmentation.isEmpty)
    arguments.speedPerturb = [0.9, 1, 1.1]
    arguments.noiseSnrDb = [10, 30]
    arguments.gainDb = [-6, 6]
    arguments.startSilence = [0, 0.4]
    arguments.endSilence = [0.1, 0.1]
    #expect(arguments.problems.isEmpty, "\(arguments.problems)")
    #expect(arguments.augmentation.speedFactors == [0.9, 1, 1.1] && arguments.augmentation.noiseSNRDecibels == 10...30)
    #expect(arguments.augmentation.noiseProbability == 1 && arguments.augmentation.gainDecibels == -6...6)
    #expect(arguments.augmentation.startSilenceSeconds == 0...0.4 && arguments.augmentation.endSilenceSeconds == 0.1...0.1)
    #expect(arguments.augmentation.silenceProbability == 1)
    let cases: [(change: (inout TrainingArguments) -> Void, message: String)] = [
      ({ $0.speedPerturb = [0.9, 0, 1.1] }, "--speed-perturb factors must be positive, not 0.0"),
      ({ $0.speedPerturb = [-1.1] }, "--speed-perturb factors must be positive, not -1.1"),
      ({ $0.speedPerturb = [.nan] }, "--speed-perturb factors must be positive, not nan"),
      ({ $0.speedPerturb = [] }, "--speed-perturb needs at least one factor (e.g. 0.9,1.0,1.1)"),
      ({ $0.noiseSnrDb = [30, 10] }, "--noise-snr-db MIN,MAX must have MIN ≤ MAX, not 30.0,10.0"),
      ({ $0.noiseSnrDb = [10, 20, 30] }, "--noise-snr-db takes MIN,MAX in dB, not 10.0,20.0,30.0"),
      ({ $0.gainDb = [6, -6] }, "--gain-db MIN,MAX must have MIN ≤ MAX, not 6.0,-6.0"),
      ({ $0.gainDb = [-.infinity, 0] }, "--gain-db must be finite, not -inf,0.0"),
      ({ $0.noiseProb = 1.5 }, "--noise-prob must be in [0, 1], not 1.5"),
      ({ ($0.noiseSnrDb, $0.noiseProb) = (nil, 0.5) }, "--noise-prob needs --noise-snr-db (the SNR range of the noise to add)"),
      ({ ($0.noiseSnrDb, $0.noiseDir) = (nil, "noise") }, "--noise-dir needs --noise-snr-db (the SNR range of the noise to add)"),
      ({ $0.startSilence = [-0.1, 0.2] }, "--start-silence must not be negative, not -0.1"),
      ({ $0.endSilence = [0.3, 0.1] }, "--end-silence MIN,MAX must have MIN ≤ MAX, not 0.3,0.1"),
      ({ $0.endSilence = [0.1, 0.2, 0.3] }, "--end-silence takes MIN,MAX in seconds, not 0.1,0.2,0.3"),
      ({ $0.silenceProb = -0.5 }, "--silence-prob must be in [0, 1], not -0.5"),
      ({ ($0.startSilence, $0.endSilence, $0.silenceProb) = (nil, nil, 0.5) }, "--silence-prob needs --start-silence or --end-silence (the seconds of silence to add)"),
      ({ $0.startSilence = [0, 1e6] }, "--start-silence takes at most 30.0 seconds, not 1000000.0"),
      ({ $0.endSilence = [0, .nan] }, "--end-silence must be finite, not 0.0,nan"),
      ({ $0.silenceProb = .nan }, "--silence-prob must be in [0, 1], not nan"),
    ]
    for (change, message) in cases {
      var bad = arguments
      change(&bad)
      #expect(bad.problems == [message])
    }
  }

  /// A --noise-dir that cannot serve stops the Trainer before any step, naming the file.
  @Test func aNoiseFolderThatCannotServeIsAnError() throws {
    let folder = parity.scratch.folder("asrc-noise")
    try Data("not audio".utf8).write(to: URL(fileURLWithPath: folder + "/hiss.wav"))
    var arguments = augmented(output: parity.scratch.path("asrc-noise-run"))
    arguments.noiseDir = folder
    #expect {
      _ = try parity.makeTrainer(arguments: arguments)
    } throws: { error in
      (error as? DataError)?.path == folder + "/hiss.wav" && (error as? DataError)?.reason.contains("cannot decode") == true
    }
  }
}
