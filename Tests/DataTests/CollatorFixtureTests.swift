import Data
import Formats
import Foundation
import Models
import Testing

/// The collator's padded batch against the fine-tuning guide's prepare_dataset +
/// DataCollatorCTCWithPadding (tools/make_collator_reference.py), for feature extractors that
/// return no attention mask and that do, with and without the collator's pad_to_multiple_of
/// (1000 samples): the padded input values, the attention mask and the -100-padded labels of
/// three clips of different lengths.
@Suite struct CollatorFixtureTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/collator")

  @Test(arguments: [false, true], [nil, 1000])
  func paddedBatchMatchesTheGuide(_ returnsMask: Bool, _ multiple: Int?) throws {
    let folder = Self.root.appendingPathComponent("mask_\(returnsMask)" + (multiple.map { "_multiple_\($0)" } ?? "")).path
    let tokenizer = try CTCTokenizer.read(vocabularyFile: Self.root.appendingPathComponent("vocab.json").path, folder: Self.root.path)
    let dataset = Dataset.prepare(try CorpusReader.load(Self.root.appendingPathComponent("data.csv").path), tokenizer: tokenizer, model: .base)
    #expect(dataset.skipped.isEmpty, "\(dataset.skipped)")
    let collator = Collator(featureExtractor: FeatureExtractor(settings: FeatureExtractorSettings(returnAttentionMask: returnsMask)), padToMultipleOf: multiple)
    let loader = BatchLoader(dataset: dataset, collator: collator, batches: [Array(dataset.items.indices)])
    let batch = try #require(loader.next())

    let expectedValues = try NumPy.read(folder + "/input_values.npy")
    #expect(batch.inputValues.shape == expectedValues.shape)
    let (ours, theirs) = (batch.inputValues.floats, expectedValues.floats)
    // Padding is exactly zero on both sides; the normalised samples differ by rounding only:
    // transformers normalises in float32 (numpy), asrc in float64. Measured: at most 2.4e-7
    // (about 1 float32 ulp of values up to ~3); allowed 1e-6.
    var worst: Float = 0
    let badPadding = theirs.indices.filter { theirs[$0] == 0 && ours[$0] != 0 }
    #expect(badPadding.isEmpty, "\(badPadding.count) padded samples are not 0, first at \(badPadding.first ?? 0): \(badPadding.first.map { ours[$0] } ?? 0)")
    for index in theirs.indices { worst = max(worst, abs(ours[index] - theirs[index])) }
    #expect(worst <= 1e-6, "input values differ from the guide's collator by up to \(worst)")
    print("collator (attention mask \(returnsMask), multiple \(multiple.map(String.init) ?? "none")): padded input values within \(worst) of the guide's")

    #expect(batch.labels.shape == (try NumPy.read(folder + "/labels.npy")).shape)
    #expect(batch.labels.int64s == (try NumPy.read(folder + "/labels.npy")).int64s, "labels")
    if returnsMask {
      let mask = try #require(batch.attentionMask, "no attention mask")
      let expectedMask = try NumPy.read(folder + "/attention_mask.npy")
      #expect(mask.shape == expectedMask.shape && mask.int64s == expectedMask.int64s, "attention mask")
    } else {
      #expect(batch.attentionMask == nil, "the guide's collator returns no attention mask here")
    }
  }
}
