import Formats
import Foundation
import TestSupport
import Testing

/// pyctcdecode's serialised decoder in a model folder: alphabet.json and language_model/ with
/// attrs.json, unigrams.txt and one n-gram file, each problem named with its file.
@Suite struct DecoderFilesTests {
  func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

  @Test func readsTheFolderAndRefusesIncompleteOnes() throws {
    try withTemporaryFolder { folder in
      #expect(try DecoderFiles.read(modelFolder: folder) == nil)
      let lm = folder + "/language_model"
      try FileManager.default.createDirectory(atPath: lm, withIntermediateDirectories: true)
      #expect(throws: FormatError(lm, "has no language model file (.arpa, .bin or .binary); it holds nothing")) { try DecoderFiles.read(modelFolder: folder) }
      try write("\\data\\\n", lm + "/a.arpa")
      #expect(throws: FormatError(lm, "has no attrs.json (alpha, beta, unk_score_offset and score_boundary of pyctcdecode's language model)")) {
        try DecoderFiles.read(modelFolder: folder)
      }
      try write(#"{"alpha": 0.5, "beta": "1", "unk_score_offset": -10.0, "score_boundary": true}"#, lm + "/attrs.json")
      #expect(throws: FormatError(lm + "/attrs.json", "\"beta\" must be a number (pyctcdecode writes alpha, beta, unk_score_offset and score_boundary)")) {
        try DecoderFiles.read(modelFolder: folder)
      }
      try write(#"{"alpha": 0.7, "beta": 2, "unk_score_offset": -9.5, "score_boundary": false}"#, lm + "/attrs.json")
      try write("one\ntwo\n\nthree\n", lm + "/unigrams.txt")
      let files = try #require(try DecoderFiles.read(modelFolder: folder))
      #expect(files.alphabetPath == nil)
      let model = try #require(files.languageModel)
      #expect(model.modelPath == lm + "/a.arpa" && !model.isKenLMBinary)
      #expect([model.alpha, model.beta, model.unknownScoreOffset] == [0.7, 2, -9.5] && !model.scoreBoundary)
      #expect(try model.unigrams() == ["one", "two", "three"])
      try write("", lm + "/b.bin")
      #expect(throws: FormatError(lm, "has 2 language model files (a.arpa, b.bin); pyctcdecode's folder holds one")) { try DecoderFiles.read(modelFolder: folder) }
    }
  }

  @Test func copiesIntoAnotherModelFolder() throws {
    try withTemporaryFolder { folder in
      let (source, destination) = (folder + "/source", folder + "/destination")
      try FileManager.default.createDirectory(atPath: source + "/language_model", withIntermediateDirectories: true)
      try write(#"{"labels": ["", " ", "a"], "is_bpe": false}"#, source + "/alphabet.json")
      try write(#"{"alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": true}"#, source + "/language_model/attrs.json")
      try write("a\n", source + "/language_model/unigrams.txt")
      try write("\\data\\\n", source + "/language_model/lm.arpa")
      let files = try #require(try DecoderFiles.read(modelFolder: source))
      try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
      try files.copy(into: destination)
      let copied = try #require(try DecoderFiles.read(modelFolder: destination))
      #expect(copied.alphabetPath == destination + "/alphabet.json")
      #expect(copied.languageModel?.modelPath == destination + "/language_model/lm.arpa")
      #expect(try String(contentsOfFile: destination + "/language_model/unigrams.txt", encoding: .utf8) == "a\n")
      // Saving a folder onto itself leaves it as it is.
      try copied.copy(into: destination)
      #expect(try String(contentsOfFile: destination + "/alphabet.json", encoding: .utf8).contains("is_bpe"))
    }
  }
}
