import ArgumentParser
import Decoding
import Foundation
import Formats
import Inference

struct DecodingBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode",
    abstract: "Measure beam-search decoding in seconds per audio-second on saved logits (one thread), with or without a language model.",
    discussion: """
      Decodes every LOGITS.npy (float32 [frames, classes], as asrc logits writes them) --repeat times with pyctcdecode's \
      settings and prints the best total time over the audio they stand for (--seconds-per-frame each frame, 0.02 for \
      Wav2Vec2). tools/bench-lm-decoding prints pyctcdecode's figure on the same files beside it.
      """)

  @Option(help: "The vocab.json of the model that made the logits (its tokens in id order are the labels).") var vocab: String
  @Option(help: ArgumentHelp("The language model (ARPA); none: beam search without one.", valueName: "FILE.arpa")) var lm: String?
  @Option(help: "The language model's weight.") var alpha = 0.5
  @Option(help: "The bonus per word.") var beta = 1.5
  @Option(help: "Beams kept per frame.") var beamWidth = 100
  @Flag(help: "Keep beams that differ only before the language model's context (decode_beams), instead of decode's pruning.") var noPruneHistory = false
  @Option(help: "Timed passes over all files (the best is reported).") var `repeat` = 3
  @Option(help: "Audio seconds per logits frame.") var secondsPerFrame = 0.02
  @Argument(help: "Logits files (.npy).") var logits: [String]

  func run() throws {
    try reportingFailures {
      guard `repeat` > 0, beamWidth > 0 else { throw CommandFailure("--repeat and --beam-width must be positive") }
      let inputs: [[Float]]
      let tokenizer: CTCTokenizer
      do {
        tokenizer = try CTCTokenizer.read(vocabularyFile: vocab, folder: URL(fileURLWithPath: vocab).deletingLastPathComponent().path)
        inputs = try logits.map { try NumPy.read($0).floats }
      } catch { throw CommandFailure("\(error)") }
      let decoder: CTCBeamSearchDecoder
      do {
        let alphabet = try BeamSearchSettings.alphabet(tokenizer: tokenizer, classes: tokenizer.tokens.count)
        let languageModel = try lm.map {
          BeamSearchLanguageModel(ngrams: try ARPAReader.read($0), unigrams: nil, weights: LanguageModelWeights(alpha: alpha, beta: beta))
        }
        decoder = CTCBeamSearchDecoder(alphabet: alphabet, languageModel: languageModel)
      } catch { throw CommandFailure("\(error)") }
      let classes = decoder.alphabet.labels.count
      let frames = inputs.map { $0.count / classes }.reduce(0, +)
      let audioSeconds = Double(frames) * secondsPerFrame
      let options = BeamSearchOptions(beamWidth: beamWidth, pruneHistory: !noPruneHistory)
      var best = Double.infinity
      let clock = ContinuousClock()
      for _ in 0..<`repeat` {
        let start = clock.now
        for input in inputs {
          do { _ = try decoder.decode(logits: input, options: options) } catch { throw CommandFailure("\(error)") }
        }
        best = min(best, (clock.now - start) / .seconds(1))
      }
      print(
        String(
          format: "asrc beam search (width %d, %@): %d files, %.1f audio-seconds in %.3f s: %.5f s per audio-second", beamWidth,
          lm == nil ? "no language model" : "language model \(lm!)", inputs.count, audioSeconds, best, best / audioSeconds))
    }
  }
}
