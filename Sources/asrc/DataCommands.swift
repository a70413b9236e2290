import ArgumentParser
import Data
import Foundation
import Formats
import Models

func loadCorpus(_ path: String) throws(CommandFailure) -> Corpus {
  do { return try CorpusReader.load(path) } catch { throw CommandFailure("\(error)") }
}

/// Several corpora read as one (`asrc train --train A --train B`).
func loadCorpora(_ paths: [String]) throws(CommandFailure) -> Corpus {
  do { return try CorpusReader.load(paths) } catch { throw CommandFailure("\(error)") }
}

struct Vocab: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Build a character vocabulary (vocab.json) from a corpus's transcripts, in the Hugging Face guide's layout.",
    discussion: "Transcripts are normalised first (lower case, the guide's punctuation removed). Characters sorted by code point, then | for the space, [UNK], and [PAD] (the CTC blank) last.")

  @Option(
    name: [.customLong("data"), .customLong("train")],
    help: "A TIMIT or LibriSpeech folder, or a .csv/.tsv/.jsonl manifest (--train is the older spelling).")
  var data: String
  @Option(name: .shortAndLong, help: "The vocab.json to write.") var output: String
  @Flag(help: "Keep the transcripts' case.") var keepCase = false

  func run() throws {
    try reportingFailures {
      let corpus = try loadCorpus(data)
      var normalizer = TextNormalizer()
      normalizer.lowercase = !keepCase
      let texts = corpus.utterances.map { normalizer.normalize($0.text) }.filter { !$0.isEmpty }
      guard !texts.isEmpty else { throw CommandFailure("\(UnusableDataError(data: data, purpose: "a vocabulary", skipped: corpus.skipped))") }
      let tokenizer = Vocabulary.blogLayout(from: texts)
      let ordered = tokenizer.vocabulary.sorted { $0.value < $1.value }
      let json = "{\n" + ordered.map { "  \(jsonString($0.key)): \($0.value)" }.joined(separator: ",\n") + "\n}\n"
      try IRFile.write(json, to: output)
      print("wrote \(output): \(ordered.count) tokens from \(texts.count) transcripts: \(ordered.map(\.key).joined(separator: " "))")
      if !corpus.skipped.isEmpty { print("skipped while reading the corpus:\n\(skipSummary(corpus.skipped))") }
    }
  }
}

func jsonString(_ text: String) -> String {
  let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
  return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
}

struct DataSummary: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Read a corpus as training would and report what it holds and what it skips, and why.")

  @Argument(help: ArgumentHelp("A TIMIT or LibriSpeech folder, or a .csv/.tsv/.jsonl manifest (or give it as --data).", valueName: "data"))
  var positionalData: String?
  @Option(help: "The same, spelled as in asrc eval and asrc vocab.") var data: String?
  @Option(help: "A model folder: check transcripts against its vocabulary and audio against its receptive field.") var model: String?
  @Option(help: "A vocab.json to check against, instead of a model's.") var vocab: String?
  @Option(parsing: .unconditional, help: "Leave out utterances shorter than this many seconds.") var minDuration: Double?
  @Option(parsing: .unconditional, help: "Leave out utterances longer than this many seconds.") var maxDuration: Double?

  func validate() throws {
    if positionalData == nil && data == nil { throw ValidationError("give the corpus: asrc data DATA (or --data DATA)") }
    if positionalData != nil && data != nil { throw ValidationError("give the corpus once: as DATA or as --data, not both") }
    if model != nil && vocab != nil { throw ValidationError("give --model or --vocab, not both: a model brings its own vocabulary") }
  }

  func run() throws {
    try reportingFailures {
      let corpus = try loadCorpus(positionalData ?? data ?? "")
      var configuration = Wav2Vec2Configuration.base
      let tokenizer: CTCTokenizer
      do {
        if let model {
          let directory = try ModelDirectory.load(model)
          configuration = directory.configuration
          tokenizer = directory.tokenizer
        } else if let vocab {
          let folder = (vocab as NSString).deletingLastPathComponent
          tokenizer = try CTCTokenizer.read(vocabularyFile: vocab, folder: folder.isEmpty ? "." : folder)
        } else {
          tokenizer = Vocabulary.blogLayout(from: corpus.utterances.map { TextNormalizer().normalize($0.text) })
        }
      } catch {
        throw CommandFailure("\(error)")
      }
      var options = Dataset.Options()
      options.minimumSeconds = minDuration
      options.maximumSeconds = maxDuration
      let dataset = Dataset.prepare(corpus, tokenizer: tokenizer, model: configuration, options: options)
      print(dataset.summary)
      // The summary above says why; the exit status says that nothing could be trained on.
      if dataset.items.isEmpty { throw CommandFailure("\(corpus.root): zero utterances usable for training (the reasons are above)") }
      if let longest = dataset.items.max(by: { $0.sampleCount < $1.sampleCount }), let shortest = dataset.items.min(by: { $0.sampleCount < $1.sampleCount }) {
        print(String(format: "durations: %.2f s to %.2f s; speakers: %d", shortest.seconds, longest.seconds, Set(dataset.items.compactMap(\.utterance.speaker)).count))
      }
    }
  }
}
