import Data
import Foundation
import TestSupport
import Testing

@Suite struct CorpusReaderTests {
  let scratch = ScratchSpace()

  @Test func timitTree() throws {
    let root = scratch.folder("asrc-data") + "/TRAIN"
    try TestAudio.writeWAV(root + "/DR1/FAKS0/SA1.WAV", seconds: 1)
    try TestAudio.write("0 16000 She had your dark suit in greasy wash water all year.\n", to: root + "/DR1/FAKS0/SA1.TXT")
    try TestAudio.writeWAV(root + "/dr2/mabc0/si1.wav", seconds: 0.5)
    try TestAudio.write("0 8000 Don't ask me.\n", to: root + "/dr2/mabc0/SI1.txt")
    try TestAudio.writeWAV(root + "/DR2/MABC0/SX9.WAV", seconds: 0.5)
    let corpus = try CorpusReader.load(root)
    #expect(corpus.layout == .timit)
    #expect(corpus.utterances.map(\.text) == ["She had your dark suit in greasy wash water all year.", "Don't ask me."])
    #expect(corpus.utterances.map(\.speaker) == ["FAKS0", "mabc0"])
    #expect(corpus.skipped.count == 1)
    #expect(corpus.skipped[0].path.hasSuffix("SX9.WAV") && corpus.skipped[0].reason.contains("missing transcript"))
  }

  @Test func librispeechTree() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/19/198/19-198-0000.flac", seconds: 1)
    try TestAudio.writeWAV(root + "/19/198/19-198-0001.flac", seconds: 1)
    try TestAudio.writeWAV(root + "/19/198/19-198-0003.flac", seconds: 1)
    try TestAudio.write("19-198-0000 NORTHANGER ABBEY\n19-198-0001 CHAPTER ONE\n19-198-0002 MISSING AUDIO\nBROKENLINE\n", to: root + "/19/198/19-198.trans.txt")
    let corpus = try CorpusReader.load(root)
    #expect(corpus.layout == .librispeech)
    #expect(corpus.utterances.map(\.text) == ["NORTHANGER ABBEY", "CHAPTER ONE"])
    #expect(corpus.utterances.map(\.speaker) == ["19", "19"])
    let reasons = corpus.skipped.map(\.reason)
    #expect(reasons.contains { $0.contains("missing audio") })
    #expect(reasons.contains { $0.contains("malformed line") })
    #expect(corpus.skipped.contains { $0.path.hasSuffix("19-198-0003.flac") && $0.reason.contains("missing transcript") })
  }

  @Test func csvTsvAndJsonlManifests() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/clips/a.wav", seconds: 1)
    try TestAudio.writeWAV(root + "/clips/b.wav", seconds: 1)
    try TestAudio.write("path,text\nclips/a.wav,\"hello, world\"\nclips/b.wav,\"she said \"\"hi\"\"\"\nclips/c.wav\n", to: root + "/train.csv")
    let csv = try CorpusReader.load(root + "/train.csv")
    #expect(csv.utterances.map(\.text) == ["hello, world", "she said \"hi\""])
    #expect(csv.utterances[0].audioPath == root + "/clips/a.wav")
    #expect(csv.skipped.count == 1 && csv.skipped[0].path.hasSuffix("train.csv:4"))

    try TestAudio.write("audio\ttext\n\(root)/clips/a.wav\tabsolute path\n", to: root + "/eval.tsv")
    #expect(try CorpusReader.load(root + "/eval.tsv").utterances.map(\.audioPath) == [root + "/clips/a.wav"])

    try TestAudio.write("{\"audio\": \"clips/b.wav\", \"text\": \"json line\"}\nnot json\n{\"path\": \"clips/a.wav\"}\n", to: root + "/data.jsonl")
    let jsonl = try CorpusReader.load(root + "/data.jsonl")
    #expect(jsonl.utterances.map(\.text) == ["json line"])
    #expect(jsonl.skipped.map(\.reason).sorted() == ["missing transcript (no text field)", "not a JSON object"])

    try TestAudio.write("file,words\nx.wav,y\n", to: root + "/bad.csv")
    #expect(throws: DataError.self) { try CorpusReader.load(root + "/bad.csv") }
    #expect(throws: DataError.self) { try CorpusReader.load(root + "/nothing-here") }
    #expect(throws: DataError.self) { try CorpusReader.load(root + "/clips/a.wav") }
  }

  @Test func severalCorporaReadAsOne() throws {
    let root = scratch.folder("asrc-data")
    try TestAudio.writeWAV(root + "/timit/DR1/FAKS0/SA1.WAV", seconds: 1)
    try TestAudio.write("0 16000 one two\n", to: root + "/timit/DR1/FAKS0/SA1.TXT")
    try TestAudio.writeWAV(root + "/timit/DR1/FAKS0/SA2.WAV", seconds: 1)
    try TestAudio.writeWAV(root + "/clips/a.wav", seconds: 1)
    try TestAudio.write("path,text\nclips/a.wav,three\nclips/b.wav\n", to: root + "/extra.csv")

    let single = try CorpusReader.load([root + "/timit"])
    #expect(single.root == root + "/timit" && single.layout == .timit)

    let both = try CorpusReader.load([root + "/timit", root + "/extra.csv"])
    #expect(both.root == root + "/timit + " + root + "/extra.csv")
    #expect(both.layout == .mixed)
    #expect(both.utterances.map(\.text) == ["one two", "three"])
    #expect(both.utterances.map(\.id) == ["DR1/FAKS0/SA1", "clips/a"])
    // Nothing either corpus left out is lost: both reasons are kept.
    #expect(both.skipped.count == 2)
    #expect(both.skipped.contains { $0.path.hasSuffix("SA2.WAV") } && both.skipped.contains { $0.path.hasSuffix("extra.csv:3") })

    #expect(throws: DataError(root + "/timit/DR1", "\(root)/timit/DR1/FAKS0/SA1.WAV is in \(root)/timit too: the corpora overlap")) {
      try CorpusReader.load([root + "/timit", root + "/timit/DR1"])
    }
    #expect(throws: DataError(root + "/timit/", "given twice (also as \(root)/timit)")) {
      try CorpusReader.load([root + "/timit", root + "/timit/"])
    }
    try TestAudio.write("path,text\ntimit/DR1/FAKS0/SA1.WAV,one two\n", to: root + "/again.csv")
    #expect(throws: DataError(root + "/again.csv", "\(root)/timit/DR1/FAKS0/SA1.WAV is in \(root)/timit too: the corpora overlap")) {
      try CorpusReader.load([root + "/timit", root + "/again.csv"])
    }
    #expect(throws: DataError("the corpus list", "empty: no corpus given")) { try CorpusReader.load([String]()) }
  }

  @Test func severalCorporaOfOneLayoutKeepItAndEachMustHoldSomething() throws {
    let root = scratch.folder("asrc-data")
    for name in ["a", "b"] {
      try TestAudio.writeWAV(root + "/\(name)/DR1/FAKS0/SA1.WAV", seconds: 1)
      try TestAudio.write("0 16000 \(name)\n", to: root + "/\(name)/DR1/FAKS0/SA1.TXT")
    }
    try TestAudio.writeWAV(root + "/empty/DR1/FAKS0/SA1.WAV", seconds: 1)
    let both = try CorpusReader.load([root + "/a", root + "/b"])
    #expect(both.layout == .timit && both.utterances.map(\.text) == ["a", "b"])
    #expect(throws: DataError(root + "/empty", "no utterances to read (1 skipped; the first: \(root)/empty/DR1/FAKS0/SA1.WAV: missing transcript (no SA1.TXT beside it))")) {
      try CorpusReader.load([root + "/a", root + "/empty"])
    }
    // Another spelling of the same folder through a symbolic link is the same corpus.
    try FileManager.default.createSymbolicLink(atPath: root + "/link-to-a", withDestinationPath: root + "/a")
    #expect(throws: DataError(root + "/link-to-a", "given twice (also as \(root)/a)")) {
      try CorpusReader.load([root + "/a", root + "/link-to-a"])
    }
  }

  @Test func canonicalPathsAreAbsoluteAndResolved() {
    let here = FileManager.default.currentDirectoryPath
    #expect(CorpusReader.canonicalPath("some/corpus/./x/../TRAIN") == URL(fileURLWithPath: here + "/some/corpus/TRAIN").resolvingSymlinksInPath().path)
    #expect(CorpusReader.canonicalPath("/a/b/") == "/a/b")
  }
}
