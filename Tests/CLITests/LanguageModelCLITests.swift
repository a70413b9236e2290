import Decoding
import Formats
import Foundation
import Inference
import Testing

/// `asrc transcribe`, `eval` and `import` with a word n-gram language model: the command line
/// gives what the decoder gives on the same logits, takes a Wav2Vec2ProcessorWithLM folder's
/// language model and weights, and refuses what it cannot use with the reason.
@Suite struct LanguageModelCLITests {
  let cli = CLITests()
  static let languageModels = CLITests.fixtures.deletingLastPathComponent().appendingPathComponent("lm")
  static let model = CLITests.fixtures.appendingPathComponent("group_postln_evenpos").path
  static let arpa = languageModels.appendingPathComponent("sentences.arpa").path
  static func audio(_ name: String) -> String { CLITests.fixtures.appendingPathComponent("audio/\(name).wav").path }

  /// The best beam of the library's decoder on `asrc logits` of `audio`.
  func decoded(_ audio: String, model: String = model, weights: LanguageModelWeights, unigrams: [String]? = nil) throws -> DecodedBeam {
    let logitsPath = cli.scratch() + "/logits.npy"
    let run = try cli.asrc("logits", "--model", model, audio, "-o", logitsPath)
    try #require(run.status == 0, "\(run.error)")
    let tokenizer = try CTCTokenizer.read(folder: model)
    let alphabet = try BeamSearchSettings.alphabet(tokenizer: tokenizer, classes: 30)
    let languageModel = BeamSearchLanguageModel(ngrams: try ARPAReader.read(Self.arpa), unigrams: unigrams, weights: weights)
    let decoder = CTCBeamSearchDecoder(alphabet: alphabet, languageModel: languageModel)
    return try #require(try decoder.decodeBeams(logits: try NumPy.read(logitsPath).floats).first)
  }

  @Test func transcribeGivesTheDecodersTextAndWordTimes() throws {
    let audio = Self.audio("b")
    let run = try cli.asrc(
      "transcribe", "--model", Self.model, audio, "--lm", Self.arpa, "--alpha", "0.8", "--beta", "0.5", "--timestamps", "word", "--format", "json")
    #expect(run.status == 0, "\(run.error)")
    #expect(run.error.contains("language model \(Self.arpa): order 4, 375/1276/310/66 n-grams"), "\(run.error)")
    let expected = try decoded(audio, weights: LanguageModelWeights(alpha: 0.8, beta: 0.5))
    let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
    #expect(object["text"] as? String == expected.text)
    let words = object["words"] as! [[String: Any]]
    #expect(words.map { $0["word"] as! String } == expected.words.map(\.word))
    for (word, frames) in zip(words, expected.words) {
      #expect((word["start"] as! NSNumber).doubleValue == Double(frames.start) * 0.02)
      #expect((word["end"] as! NSNumber).doubleValue == Double(frames.end) * 0.02)
    }
  }

  /// The folder's alphabet.json, language_model/ and attrs.json come along, and transcribe and
  /// eval use them unless told --no-lm; a KenLM binary model is copied with a warning.
  @Test func importKeepsTheProcessorsLanguageModel() throws {
    let source = cli.scratch() + "/with-lm"
    try FileManager.default.copyItem(atPath: Self.model, toPath: source)
    let tokenizer = try CTCTokenizer.read(folder: Self.model)
    // As transformers wants it: every token of the tokenizer, the added <s> and </s> (ids 30 and
    // 31, beyond the model's 30 classes) included.
    let labels = try BeamSearchSettings.alphabet(tokenizer: tokenizer, classes: 30).labels + ["<s>", "</s>"]
    try JSONSerialization.data(withJSONObject: ["labels": labels, "is_bpe": false]).write(to: URL(fileURLWithPath: source + "/alphabet.json"))
    try FileManager.default.createDirectory(atPath: source + "/language_model", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.arpa, toPath: source + "/language_model/sentences.arpa")
    try Data(#"{"alpha": 0.9, "beta": 0.25, "unk_score_offset": -7.0, "score_boundary": true}"#.utf8)
      .write(to: URL(fileURLWithPath: source + "/language_model/attrs.json"))
    let unigrams = ["i", "the", "a", "we", "you"]
    try Data((unigrams.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: source + "/language_model/unigrams.txt"))

    let imported = cli.scratch() + "/imported"
    let run = try cli.asrc("import", source, "-o", imported)
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.contains("language model sentences.arpa (order 4, 375/1276/310/66 n-grams; alpha 0.9, beta 0.25, unknown-word offset -7.0)"), "\(run.output)")
    for file in ["alphabet.json", "language_model/attrs.json", "language_model/unigrams.txt", "language_model/sentences.arpa"] {
      #expect(FileManager.default.fileExists(atPath: imported + "/" + file), "\(file) missing")
    }

    let audio = Self.audio("a")
    let transcribed = try cli.asrc("transcribe", "--model", imported, audio)
    #expect(transcribed.status == 0, "\(transcribed.error)")
    let expected = try decoded(audio, weights: LanguageModelWeights(alpha: 0.9, beta: 0.25, unknownScoreOffset: -7), unigrams: unigrams)
    #expect(transcribed.output == "\(audio)\t\(expected.text)\n")
    #expect(transcribed.error.contains("2 labels beyond the model's 30 output classes (<s> </s>) left out"), "\(transcribed.error)")
    let overridden = try cli.asrc("transcribe", "--model", imported, audio, "--alpha", "0.3")
    let expectedOverride = try decoded(audio, weights: LanguageModelWeights(alpha: 0.3, beta: 0.25, unknownScoreOffset: -7), unigrams: unigrams)
    #expect(overridden.output == "\(audio)\t\(expectedOverride.text)\n", "\(overridden.error)")
    let greedy = try cli.asrc("transcribe", "--model", Self.model, audio)
    let withoutLM = try cli.asrc("transcribe", "--model", imported, audio, "--no-lm")
    #expect(withoutLM.status == 0 && withoutLM.output == greedy.output, "\(withoutLM.error)")

    // The same folder with KenLM's binary model instead of the ARPA file.
    try FileManager.default.removeItem(atPath: source + "/language_model/sentences.arpa")
    try FileManager.default.copyItem(atPath: Self.languageModels.appendingPathComponent("small.binary").path, toPath: source + "/language_model/lm.binary")
    let binary = cli.scratch() + "/binary"
    let binaryImport = try cli.asrc("import", source, "-o", binary)
    #expect(binaryImport.status == 0, "\(binaryImport.error)")
    #expect(binaryImport.error.contains("is a KenLM binary model"), "\(binaryImport.error)")
    let refused = try cli.asrc("transcribe", "--model", binary, audio)
    #expect(refused.status != 0 && refused.error.contains("KenLM binary") && refused.error.contains("--no-lm"), "\(refused.error)")
    #expect(try cli.asrc("transcribe", "--model", binary, audio, "--no-lm").output == greedy.output)
  }

  @Test func evalDecodesWithTheLanguageModel() throws {
    let folder = cli.scratch()
    let manifest = folder + "/data.csv"
    try Data("path,text\n\(Self.audio("a")),we saw the old dog\n\(Self.audio("b")),the cat\n".utf8).write(to: URL(fileURLWithPath: manifest))
    let run = try cli.asrc("eval", "--model", Self.model, "--data", manifest, "--lm", Self.arpa, "--beta", "0.5", "-o", folder + "/results.jsonl")
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.hasPrefix("WER "))
    let lines = try String(contentsOfFile: folder + "/results.jsonl", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    for line in lines {
      let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      let expected = try decoded(result["path"] as! String, weights: LanguageModelWeights(beta: 0.5))
      #expect(result["hypothesis"] as? String == expected.text)
    }
  }

  @Test func languageModelProblemsAreRefusedWithTheReason() throws {
    let audio = Self.audio("a")
    let malformed = Self.languageModels.appendingPathComponent("malformed/count_too_large.arpa").path
    for (arguments, message) in [
      (["--lm", malformed], "\(malformed): line 62: \\2-grams: (line 22) has"),
      (["--lm", Self.languageModels.appendingPathComponent("small.binary").path], "is a KenLM binary model"),
      (["--lm", "/nonexistent.arpa"], "/nonexistent.arpa: no such file"),
      (["--alpha", "0.3"], "--alpha, --beta, --unk-score-offset and --score-boundary weigh a language model"),
      (["--lm", Self.arpa, "--no-lm"], "--lm and --no-lm contradict each other"),
      (["--beam-width", "0"], "--beam-width must be positive"),
    ] {
      let run = try cli.asrc(["transcribe", "--model", Self.model, audio] + arguments)
      #expect(run.status != 0 && run.error.contains(message), "\(arguments): \(run.error)")
      #expect(run.output.isEmpty, "\(arguments)")
    }
  }

  /// `asrc train --eval-lm`: the evaluations during training decode with the language model,
  /// giving the WER and CER `asrc eval --lm` gives on the trained model (and not the greedy
  /// ones); a malformed model is refused before anything is written.
  @Test func trainEvaluatesWithTheLanguageModel() throws {
    let trainer = CLITests.fixtures.deletingLastPathComponent().appendingPathComponent("trainer")
    let data = trainer.appendingPathComponent("train.csv").path
    let output = cli.scratch() + "/run"
    let common = [
      "train", "--model", trainer.appendingPathComponent("initial").path, "--train", data, "--eval", data, "--output-dir", output,
      "--per-device-train-batch-size", "2", "--max-steps", "2", "--eval-steps", "0", "--save-steps", "0",
    ]
    // A large word bonus makes the language model's choice visible on a barely trained model.
    let run = try cli.asrc(common + ["--eval-lm", Self.arpa, "--eval-lm-beta", "4"])
    try #require(run.status == 0, "\(run.error)")
    #expect(run.error.contains("evaluation: beam search (width 100) with \(Self.arpa)"), "\(run.error)")
    let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/trainer_state.json"))) as! [String: Any]
    let evaluation = try #require((state["log_history"] as! [[String: Any]]).last { $0["eval_wer"] != nil })
    let (wer, cer) = ((evaluation["eval_wer"] as! NSNumber).doubleValue, (evaluation["eval_cer"] as! NSNumber).doubleValue)
    func metrics(_ arguments: [String]) throws -> (Double, Double) {
      let run = try cli.asrc(["eval", "--model", output, "--data", data, "-o", cli.scratch() + "/results.jsonl"] + arguments)
      try #require(run.status == 0, "\(run.error)")
      let words = run.output.split(separator: " ", omittingEmptySubsequences: true)
      return (Double(words[1])!, Double(words[3])!)
    }
    let withModel = try metrics(["--lm", Self.arpa, "--beta", "4"])
    #expect(abs(withModel.0 - wer) <= 5e-5 && abs(withModel.1 - cer) <= 5e-5, "train: WER \(wer) CER \(cer); asrc eval --lm: \(withModel)")
    let greedy = try metrics([])
    print("train --eval-lm: WER \(wer) CER \(cer); asrc eval --lm: \(withModel); greedy: \(greedy)")
    #expect(greedy.0 != wer || greedy.1 != cer, "the evaluation during training decoded greedily")

    let malformed = Self.languageModels.appendingPathComponent("malformed/count_too_large.arpa").path
    let refused = try cli.asrc(common.map { $0 == output ? output + "-refused" : $0 } + ["--eval-lm", malformed])
    #expect(refused.status != 0 && refused.error.contains("--eval-lm: \(malformed): line 62"), "\(refused.error)")
    #expect(!FileManager.default.fileExists(atPath: output + "-refused"))
  }

  /// --beam-width without a language model: pyctcdecode's search without one.
  @Test func beamSearchWithoutLanguageModel() throws {
    let audio = Self.audio("c")
    let run = try cli.asrc("transcribe", "--model", Self.model, audio, "--beam-width", "8")
    #expect(run.status == 0, "\(run.error)")
    #expect(run.error.contains("beam search: width 8, no language model"), "\(run.error)")
    let logitsPath = cli.scratch() + "/logits.npy"
    #expect(try cli.asrc("logits", "--model", Self.model, audio, "-o", logitsPath).status == 0)
    let alphabet = try BeamSearchSettings.alphabet(tokenizer: try CTCTokenizer.read(folder: Self.model), classes: 30)
    let text = try CTCBeamSearchDecoder(alphabet: alphabet).decode(logits: try NumPy.read(logitsPath).floats, options: BeamSearchOptions(beamWidth: 8))
    #expect(run.output == "\(audio)\t\(text)\n")
  }
}
