import Data
import Foundation
import Testing

/// Corpus inputs a new user may give: empty or cut-short manifests, the wrong kind of file, a
/// folder holding nothing usable. Each fails with a DataError naming the path and the reason,
/// or reads with every left-out entry reported.
@Suite struct CorpusSweepTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    /// nil: a folder of that name.
    var bytes: Data?
    var reason: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "empty.csv", bytes: Data(), reason: "the manifest is empty"),
    Case(name: "empty.tsv", bytes: Data(), reason: "the manifest is empty"),
    Case(name: "header-without-columns.csv", bytes: Data("file,words\nx.wav,y\n".utf8), reason: "needs a path (or audio) column and a text column"),
    Case(name: "latin1.csv", bytes: Data([0x70, 0x61, 0x74, 0x68, 0x2C, 0x74, 0x65, 0x78, 0x74, 0x0A, 0x61, 0x2C, 0xE9, 0x0A]), reason: "cannot read the manifest as UTF-8 text"),
    Case(name: "unclosed-quote.csv", bytes: Data("path,text\na.wav,ok\nb.wav,\"never\nclosed\n".utf8), reason: "line 3: a quoted field is never closed"),
    Case(name: "manifest.txt", bytes: Data("path,text\na.wav,hi\n".utf8), reason: "must be a .csv, .tsv or .jsonl manifest"),
    Case(name: "audio.wav", bytes: TestAudio.wavBytes([1, 2, 3]), reason: "must be a .csv, .tsv or .jsonl manifest"),
    Case(name: "empty-folder", bytes: nil, reason: "no corpus found"),
  ]

  @Test(arguments: cases)
  func refusesWithPathAndReason(_ test: Case) throws {
    try TestAudio.withScratch { folder in
      let path = folder + "/" + test.name
      try TestAudio.place(test.bytes, at: path)
      #expect(throws: DataError.self) { try CorpusReader.load(path) }
      do { _ = try CorpusReader.load(path) } catch let error as DataError {
        #expect(error.path == path && error.reason.contains(test.reason), "\(error)")
      }
    }
  }

  /// Files that read, but whose every entry is left out with its reason.
  @Test func entriesLeftOutAreReported() throws {
    try TestAudio.withScratch { folder in
      try TestAudio.write("{\"path\": \"a.wav\", \"text\": \"cut", to: folder + "/cut.jsonl")
      let jsonl = try CorpusReader.load(folder + "/cut.jsonl")
      #expect(jsonl.utterances.isEmpty && jsonl.skipped == [SkippedEntry(path: folder + "/cut.jsonl:1", reason: "not a JSON object")])

      try TestAudio.write("", to: folder + "/libri/1-2.trans.txt")
      try TestAudio.writeWAV(folder + "/libri/1-2-0000.flac", seconds: 0.1)
      let libri = try CorpusReader.load(folder + "/libri")
      #expect(libri.utterances.isEmpty && libri.skipped.map(\.reason) == ["missing transcript (no line in a .trans.txt)"])

      try TestAudio.writeWAV(folder + "/timit/DR1/S1/SA1.WAV", seconds: 0.1)
      try TestAudio.write("0 1600\n", to: folder + "/timit/DR1/S1/SA1.TXT")
      let timit = try CorpusReader.load(folder + "/timit")
      #expect(timit.utterances.isEmpty && timit.skipped == [SkippedEntry(path: folder + "/timit/DR1/S1/SA1.TXT", reason: "empty transcript")])
    }
  }

  /// Relative audio paths resolve against the manifest's folder, also when the manifest's own
  /// path is relative (they used to resolve against "/").
  @Test func relativeManifestPaths() throws {
    let cwd = FileManager.default.currentDirectoryPath
    let data = Data("path,text\nclips/a.wav,hello\n/abs/b.wav,there\n".utf8)
    for (manifest, folder) in [("train.csv", cwd), ("sets/train.csv", cwd + "/sets"), ("/data/sets/train.csv", "/data/sets")] {
      let corpus = try ManifestReader.parse(data, path: manifest)
      #expect(corpus.utterances.map(\.audioPath) == [folder + "/clips/a.wav", "/abs/b.wav"], "\(manifest)")
    }
  }
}
