import Audio
import Data
import Foundation
import Formats
import Models
import Synchronization
import Testing

/// Audio files a new user may hand asrc: each either decodes or fails with an error naming the
/// file and the reason, from a path (AudioFile.read and .info) and from memory (.decode).
@Suite struct AudioSweepTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    /// nil: make a folder of that name instead of a file.
    var bytes: Data?
    /// The reason expected in the error; nil when the file must decode.
    var reason: String?
    var samples = 0
    var testDescription: String { name }
  }

  static let wav = TestAudio.wavBytes((0..<800).map { Int16($0 * 37 % 2000) })
  static let cases: [Case] = [
    Case(name: "empty.wav", bytes: Data(), reason: "the file is empty"),
    Case(name: "zero-samples.wav", bytes: TestAudio.wavBytes([]), reason: "contains no samples"),
    Case(name: "zero-samples.flac", bytes: TestAudio.emptyFLACBytes(), reason: "contains no samples"),
    Case(name: "one-sample.wav", bytes: TestAudio.wavBytes([1000]), samples: 1),
    Case(name: "truncated-header.wav", bytes: wav.prefix(20), reason: "cannot decode"),
    Case(name: "truncated-flac-header.flac", bytes: TestAudio.emptyFLACBytes().prefix(12), reason: "cannot decode"),
    Case(name: "text.wav", bytes: Data("this is not audio at all, just text".utf8), reason: "not a format libsndfile reads"),
    // The extension does not decide: libsndfile reads the content.
    Case(name: "wav-named.flac", bytes: wav, samples: 800),
    Case(name: "wav-named.txt", bytes: wav, samples: 800),
    Case(name: "rate-2-hz.wav", bytes: TestAudio.wavBytes([1, 2, 3], rate: 2), reason: "sample rate 2 Hz is outside what asrc reads"),
    Case(name: "rate-2-ghz.wav", bytes: TestAudio.wavBytes([1, 2, 3], rate: 2_000_000_000), reason: "sample rate 2000000000 Hz is outside"),
    Case(name: "rate-8-khz.wav", bytes: TestAudio.wavBytes([1, 2, 3], rate: 8000), samples: 3),
    Case(name: "folder.wav", bytes: nil, reason: "is a directory"),
  ]

  @Test(arguments: cases)
  func fromAPath(_ test: Case) throws {
    try TestAudio.withScratch { folder in
      let path = folder + "/" + test.name
      try TestAudio.place(test.bytes, at: path)
      check(test, path: path) { () throws(AudioError) -> Int in try AudioFile.read(path).samples.count }
      check(test, path: path) { () throws(AudioError) -> Int in try AudioFile.info(path).frames }
    }
  }

  @Test(arguments: cases.filter { $0.bytes != nil })
  func fromMemory(_ test: Case) {
    check(test, path: test.name) { () throws(AudioError) -> Int in try AudioFile.decode(test.bytes!, name: test.name).samples.count }
  }

  func check(_ test: Case, path: String, _ read: () throws(AudioError) -> Int) {
    do {
      let samples = try read()
      #expect(test.reason == nil, "\(test.name) was accepted with \(samples) samples")
      #expect(samples == test.samples, "\(test.name)")
    } catch {
      #expect(error.path == path, "\(error)")
      #expect(test.reason.map { error.reason.contains($0) } == true, "\(test.name): \(error)")
    }
  }

  /// libsndfile keeps a failed open's error in one process-wide variable; a good file opened on
  /// another thread at the same moment used to turn the reason into "No Error" (seen in CI).
  @Test func reasonsSurviveConcurrentOpens() {
    let text = Data("this is not audio at all, just text".utf8)
    let reasons = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 20000) { index in
      let reason: String?
      if index % 2 == 0 {
        reason = (try? AudioFile.decode(Self.wav, name: "good.wav")) == nil ? "good.wav failed" : nil
      } else {
        do {
          _ = try AudioFile.decode(text, name: "text.wav")
          reason = "text.wav was accepted"
        } catch {
          reason = (error as? AudioError)?.reason ?? "\(error)"
        }
      }
      if let reason { reasons.withLock { $0.append(reason) } }
    }
    let all = reasons.withLock { $0 }
    #expect(all.count == 10000)
    #expect(all.allSatisfy { $0.contains("not a format libsndfile reads") }, "\(Set(all))")
  }

  @Test func missingFile() {
    #expect(throws: AudioError("/nonexistent/a.wav", "no such file")) { try AudioFile.read("/nonexistent/a.wav") }
  }

  /// The header of an empty FLAC stream gives no length; the dataset's duration check used to
  /// turn SF_COUNT_MAX frames into an Int and trap.
  @Test func emptyFLACIsSkippedByTheDataset() throws {
    try TestAudio.withScratch { folder in
      try TestAudio.emptyFLACBytes().write(to: URL(fileURLWithPath: folder + "/x.flac"))
      try TestAudio.writeWAV(folder + "/good.wav", seconds: 1)
      try TestAudio.write("path,text\nx.flac,hello\ngood.wav,hello\n", to: folder + "/data.csv")
      let dataset = Dataset.prepare(
        try CorpusReader.load(folder + "/data.csv"), tokenizer: Vocabulary.blogLayout(from: ["hello"]), model: .base)
      #expect(dataset.items.map(\.utterance.audioPath) == [folder + "/good.wav"])
      #expect(dataset.skipped == [SkippedEntry(path: folder + "/x.flac", reason: "contains no samples (zero-length audio)")])
    }
  }
}
