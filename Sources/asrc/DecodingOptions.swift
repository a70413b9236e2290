import ArgumentParser
import Foundation
import Decoding
import Formats
import Inference

/// The decoding options of `asrc transcribe` and `asrc eval`: pyctcdecode's beam search with a
/// word n-gram language model, named after its arguments, with its defaults.
struct DecodingOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A word n-gram language model in ARPA format (any order) for beam-search decoding, instead of the model folder's.",
      valueName: "FILE.arpa"))
  var lm: String?
  @Flag(help: "Decode greedily even when the model folder has a language model (a Wav2Vec2ProcessorWithLM import).") var noLm = false
  @Option(help: "The language model's weight (default: the folder's attrs.json, else pyctcdecode's 0.5).") var alpha: Double?
  @Option(help: "The bonus per word (default: the folder's attrs.json, else pyctcdecode's 1.5).") var beta: Double?
  @Option(help: "log10 score added to words the language model does not know, and (natural log) to partial words none begins with (default: attrs.json, else -10).")
  var unkScoreOffset: Double?
  @Option(help: "Score the start (<s>) and end (</s>) of the sentence: true or false (default: attrs.json, else true).") var scoreBoundary: Bool?
  @Option(help: "Beams kept per frame (default 100). Without a language model, giving it asks for a beam search instead of greedy decoding.")
  var beamWidth: Int?
  @Option(help: "Beams this far (natural log) below the best are dropped (pyctcdecode's beam_prune_logp).") var beamPruneLogp = -10.0
  @Option(help: "Classes below this log probability are not tried in a frame, unless they are its best (token_min_logp).") var tokenMinLogp = -5.0
  @Flag(
    help:
      "Keep beams that differ only before the language model's context (prune_history=False): what Wav2Vec2ProcessorWithLM.batch_decode and the ASR pipeline do; pyctcdecode's decode prunes them."
  )
  var noPruneHistory = false
  @Option(help: ArgumentHelp("Words to favour, comma-separated (pyctcdecode's hotwords).", valueName: "W1,W2")) var hotwords: String?
  @Option(help: "Score added per hotword (hotword_weight).") var hotwordWeight = 10.0

  func validate() throws {
    if lm != nil && noLm { throw ValidationError("--lm and --no-lm contradict each other") }
    if let beamWidth, beamWidth <= 0 { throw ValidationError("--beam-width must be positive, not \(beamWidth)") }
    if !(beamPruneLogp <= 0) { throw ValidationError("--beam-prune-logp must be 0 or negative, not \(beamPruneLogp)") }
    if !tokenMinLogp.isFinite { throw ValidationError("--token-min-logp must be a number, not \(tokenMinLogp)") }
    for (name, value) in [("--alpha", alpha), ("--beta", beta), ("--unk-score-offset", unkScoreOffset), ("--hotword-weight", hotwordWeight)] {
      if let value, !value.isFinite { throw ValidationError("\(name) must be a finite number, not \(value)") }
    }
  }

  var settings: BeamSearchSettings {
    var settings = BeamSearchSettings()
    settings.languageModelPath = lm
    settings.usesFolderLanguageModel = !noLm
    settings.requestsBeamSearch = beamWidth != nil || hotwords != nil
    settings.alpha = alpha
    settings.beta = beta
    settings.unknownScoreOffset = unkScoreOffset
    settings.scoreBoundary = scoreBoundary
    let words = hotwords.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
    settings.options = BeamSearchOptions(
      beamWidth: beamWidth ?? 100, beamPruneLogProbability: beamPruneLogp, tokenMinLogProbability: tokenMinLogp, pruneHistory: !noPruneHistory,
      hotwords: words, hotwordWeight: hotwordWeight)
    return settings
  }

  /// The decoder for `model`, with what was loaded noted on standard error.
  func decoder(for model: ModelDirectory) throws(CommandFailure) -> TranscriptDecoder {
    do {
      let decoder = try settings.decoder(for: model, note: note, warn: warn)
      if case .beamSearch(let search, let options) = decoder {
        note(
          "beam search: width \(options.beamWidth)\(search.languageModel == nil ? ", no language model" : "")\(options.hotwords.isEmpty ? "" : ", hotwords \(options.hotwords.joined(separator: ","))")"
        )
      }
      return decoder
    } catch {
      throw CommandFailure("\(error)")
    }
  }
}
