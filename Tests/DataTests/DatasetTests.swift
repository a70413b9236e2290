import Audio
import Data
import Formats
import Foundation
import Models
import TestSupport
import Testing

@Suite struct DatasetTests {
  let scratch = ScratchSpace()

  /// A tiny model config: total stride 320, receptive field 400 as in the real model.
  let config = Wav2Vec2Configuration.base

  func tokenizer() -> CTCTokenizer { Vocabulary.blogLayout(from: ["abcdefghijklmnopqrstuvwxyz'"]) }

  @Test func badEntriesAreSkippedWithReasons() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/good.wav", seconds: 1)
    try TestAudio.writeWAV(root + "/short.wav", seconds: 0.02)
    try TestAudio.writeWAV(root + "/empty.wav", seconds: 0)
    try TestAudio.write("this is not audio", to: root + "/corrupt.wav")
    try TestAudio.writeWAV(root + "/long-text.wav", seconds: 0.1)
    try TestAudio.writeWAV(root + "/oov.wav", seconds: 1)
    try TestAudio.writeWAV(root + "/repeats.wav", seconds: 0.045)
    let manifest = """
      path,text
      good.wav,"Hello, World!"
      short.wav,hi
      empty.wav,hi
      corrupt.wav,hi
      long-text.wav,this transcript is far too long for a tenth of a second
      oov.wav,café
      repeats.wav,aa
      missing.wav,hi
      """
    try TestAudio.write(manifest, to: root + "/data.csv")
    let dataset = Dataset.prepare(try CorpusReader.load(root + "/data.csv"), tokenizer: tokenizer(), model: config)
    #expect(dataset.items.map(\.utterance.text) == ["hello world"])
    let reasons = Dictionary(uniqueKeysWithValues: dataset.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
    #expect(reasons["short.wav"]?.contains("shorter than the model's receptive field") == true)
    #expect(reasons["empty.wav"]?.contains("zero-length") == true || reasons["empty.wav"]?.contains("empty") == true, "\(reasons["empty.wav"] ?? "")")
    #expect(reasons["corrupt.wav"]?.contains("cannot decode") == true)
    #expect(reasons["long-text.wav"]?.contains("CTC needs") == true)
    #expect(reasons["oov.wav"] == "characters outside the vocabulary: 'é'")
    // "aa" needs 3 frames (a, blank, a); 0.045 s (720 samples) gives 2.
    #expect(reasons["repeats.wav"]?.contains("CTC needs 3 frames, the audio yields 2") == true, "\(reasons["repeats.wav"] ?? "")")
    #expect(reasons["missing.wav"] == "no such file")
    #expect(dataset.summary.contains("skipped 7"))

    var options = Dataset.Options()
    options.mapUnknownCharacters = true
    options.maximumSeconds = 0.5
    let mapped = Dataset.prepare(try CorpusReader.load(root + "/data.csv"), tokenizer: tokenizer(), model: config, options: options)
    #expect(mapped.items.isEmpty)
    #expect(mapped.skipped.contains { $0.reason.contains("longer than --max-duration") })

    // Evaluation scores every utterance the model can run: the unknown character and the
    // unalignable transcripts stay, with their references as written.
    let evaluation = Dataset.prepare(try CorpusReader.load(root + "/data.csv"), tokenizer: tokenizer(), model: config, options: .evaluation)
    let kept = Dictionary(uniqueKeysWithValues: evaluation.items.map { (($0.utterance.audioPath as NSString).lastPathComponent, $0.utterance.text) })
    #expect(kept == ["good.wav": "hello world", "oov.wav": "café", "long-text.wav": "this transcript is far too long for a tenth of a second", "repeats.wav": "aa"])
    #expect(evaluation.skipped.count == 4)
    // Every unknown character is named with its count, not a few examples.
    #expect(dataset.unknownCharacters == ["é": 1] && evaluation.unknownCharacters == ["é": 1])
    #expect(evaluation.summary.contains("characters outside the vocabulary (all 1): 'é' ×1"), "\(evaluation.summary)")
  }

  @Test func groupedByLengthSamplerFollowsTheTrainer() {
    let lengths = (0..<103).map { ($0 * 7919) % 1000 }
    let batch = 4
    let indices = Sampler.indices(count: 103, lengths: lengths, batchSize: batch, order: .groupedByLength, seed: 3, epoch: 0)
    #expect(indices.sorted() == Array(0..<103))
    #expect(lengths[indices[0]] == lengths.max())
    // Megabatches of min(103 / 16, 50) · 4 = 24 are sorted longest first (but for the swapped head).
    for start in stride(from: 0, to: 103, by: 24) {
      let mega = indices[start..<min(start + 24, 103)].map { lengths[$0] }
      #expect(Array(mega.dropFirst()) == mega.dropFirst().sorted(by: >))
    }
    #expect(indices == Sampler.indices(count: 103, lengths: lengths, batchSize: batch, order: .groupedByLength, seed: 3, epoch: 0))
    #expect(indices != Sampler.indices(count: 103, lengths: lengths, batchSize: batch, order: .groupedByLength, seed: 3, epoch: 1))
    #expect(Sampler.indices(count: 5, lengths: [1, 2, 3, 4, 5], batchSize: 2, order: .sequential, seed: 0, epoch: 0) == [0, 1, 2, 3, 4])
    #expect(Sampler.batches([0, 1, 2, 3, 4], batchSize: 2) == [[0, 1], [2, 3], [4]])
  }

  @Test func collatorPadsLikeTheGuide() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/a.wav", seconds: 1)
    try TestAudio.writeWAV(root + "/b.wav", seconds: 0.5)
    try TestAudio.write("path,text\na.wav,abc\nb.wav,de\n", to: root + "/d.csv")
    let dataset = Dataset.prepare(try CorpusReader.load(root + "/d.csv"), tokenizer: tokenizer(), model: config)
    for returnsMask in [false, true] {
      let collator = Collator(featureExtractor: FeatureExtractor(settings: FeatureExtractorSettings(returnAttentionMask: returnsMask)))
      let loader = BatchLoader(dataset: dataset, collator: collator, batches: [[0, 1]])
      let batch = try #require(loader.next())
      #expect(loader.next() == nil)
      #expect(batch.inputValues.shape == [2, 16000])
      #expect(batch.labels.shape == [2, 3])
      #expect(batch.labels.int64s[3...] == [4, 5, -100])
      #expect((batch.attentionMask != nil) == returnsMask)
      if let mask = batch.attentionMask { #expect(mask.int64s[16000..<24001].reduce(0, +) == 8000) }
    }
  }

  @Test func loaderReportsAudioThatFailsLate() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/a.wav", seconds: 1)
    try TestAudio.writeWAV(root + "/b.wav", seconds: 1)
    try TestAudio.write("path,text\na.wav,abc\nb.wav,de\n", to: root + "/d.csv")
    let dataset = Dataset.prepare(try CorpusReader.load(root + "/d.csv"), tokenizer: tokenizer(), model: config)
    // The file turns bad after preparation.
    try TestAudio.write("overwritten with text", to: root + "/b.wav")
    let loader = BatchLoader(dataset: dataset, collator: Collator(featureExtractor: FeatureExtractor(settings: .init())), batches: [[0], [1], [0, 1]])
    let batches = [loader.next(), loader.next(), loader.next()].compactMap { $0 }
    #expect(batches.map(\.items.count) == [1, 0, 1])
    #expect(batches[1].skipped.count == 1 && batches[1].skipped[0].path.hasSuffix("b.wav"))
  }
}
