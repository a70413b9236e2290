import Foundation
import Testing

/// Every command given relative and absolute paths, a folder where a file belongs, a file where
/// a folder belongs, and data with nothing usable: each either works or exits 1 with a message
/// naming the path and the reason (never a crash, never a number computed from nothing).
@Suite struct PathSweepTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    /// `$SCRATCH` stands for the absolute path of the test's scratch folder.
    var arguments: [String]
    /// Standard error must contain this (on failure) or standard output (on success).
    var expected: String
    var succeeds = false
    /// Run from this subfolder of the scratch folder.
    var folder = ""
    var testDescription: String { name }
  }

  static let model = TrainCommandTests.trainer.appendingPathComponent("initial").path

  static let cases: [Case] = [
    Case(name: "transcribe a FLAC file with no samples", arguments: ["transcribe", "--model", model, "zero.flac"], expected: "zero.flac: contains no samples"),
    Case(name: "transcribe a folder", arguments: ["transcribe", "--model", model, "dir.wav"], expected: "dir.wav: is a directory, expected an audio file"),
    Case(name: "transcribe a relative path", arguments: ["transcribe", "--model", model, "set/audio/a.wav"], expected: "set/audio/a.wav\t", succeeds: true),
    Case(name: "transcribe with a file as the model", arguments: ["transcribe", "--model", "file.txt", "set/audio/a.wav"], expected: "file.txt: is a file, expected a model folder"),
    Case(name: "transcribe with a folder that is no model", arguments: ["transcribe", "--model", "dir.wav", "set/audio/a.wav"], expected: "dir.wav: is not a model folder: it has no config.json"),
    Case(name: "eval a relative manifest", arguments: ["eval", "--model", model, "--data", "set/train.csv", "-o", "r.jsonl"], expected: "(6 utterances", succeeds: true),
    Case(name: "eval a manifest in the working folder", arguments: ["eval", "--model", model, "--data", "train.csv", "-o", "../r.jsonl"], expected: "(6 utterances", succeeds: true, folder: "set"),
    Case(name: "eval a manifest given as ./", arguments: ["eval", "--model", model, "--data", "./set/../set/train.csv", "-o", "r.jsonl"], expected: "(6 utterances", succeeds: true),
    Case(name: "eval an absolute manifest", arguments: ["eval", "--model", model, "--data", "$SCRATCH/set/train.csv", "-o", "$SCRATCH/r.jsonl"], expected: "(6 utterances", succeeds: true, folder: "dir.csv"),
    Case(name: "transcribe an absolute path", arguments: ["transcribe", "--model", model, "$SCRATCH/set/audio/b.wav"], expected: "/set/audio/b.wav\t", succeeds: true, folder: "dir.wav"),
    Case(name: "eval with nothing usable", arguments: ["eval", "--model", model, "--data", "allbad.csv", "-o", "r.jsonl"], expected: "allbad.csv: zero utterances usable for evaluation; skipped 1:\n  1 × no such file"),
    Case(name: "eval a folder named like a manifest", arguments: ["eval", "--model", model, "--data", "dir.csv"], expected: "dir.csv: no corpus found"),
    Case(name: "eval a text file", arguments: ["eval", "--model", model, "--data", "file.txt"], expected: "file.txt: not a corpus"),
    Case(name: "eval writing into a folder", arguments: ["eval", "--model", model, "--data", "set/train.csv", "-o", "dir.csv"], expected: "--output dir.csv: is a directory"),
    Case(name: "train with an eval set of nothing usable", arguments: ["train", "--model", model, "--train", "set/train.csv", "--eval", "allbad.csv", "--output-dir", "out", "--max-steps", "1"],
      expected: "allbad.csv: zero utterances usable for evaluation; skipped 1:"),
    Case(name: "train with nothing usable", arguments: ["train", "--model", model, "--train", "allbad.csv", "--output-dir", "out", "--max-steps", "1"],
      expected: "allbad.csv: zero utterances usable for training; skipped 1:"),
    Case(name: "train into a file", arguments: ["train", "--model", model, "--train", "set/train.csv", "--output-dir", "file.txt"], expected: "--output-dir file.txt: it is a file, not a folder"),
    Case(name: "vocab from no transcripts", arguments: ["vocab", "--train", "header.csv", "-o", "v.json"], expected: "header.csv: zero utterances usable for a vocabulary"),
    Case(name: "vocab from a relative manifest", arguments: ["vocab", "--train", "set/train.csv", "-o", "v.json"], expected: "wrote v.json", succeeds: true),
    Case(name: "data of a relative manifest", arguments: ["data", "set/train.csv", "--model", model], expected: "6 utterances", succeeds: true),
    Case(name: "data of a folder named like audio", arguments: ["data", "dir.wav"], expected: "dir.wav: no corpus found"),
    Case(name: "data with nothing usable", arguments: ["data", "allbad.csv"], expected: "allbad.csv: zero utterances usable for training"),
    Case(name: "logits into a folder", arguments: ["logits", "--model", model, "set/audio/a.wav", "-o", "dir.wav"], expected: "cannot write dir.wav: is a directory"),
    Case(name: "logits below a file", arguments: ["logits", "--model", model, "set/audio/a.wav", "-o", "file.txt/x.npy"], expected: "file.txt is a file, not a folder"),
    Case(name: "grad of a folder", arguments: ["grad", "--model", model, "--audio", "dir.wav", "--text", "hi", "-o", "g.safetensors"], expected: "dir.wav: is a directory"),
    Case(name: "import into a file", arguments: ["import", model, "-o", "file.txt"], expected: "file.txt: is a file, expected a folder"),
    Case(name: "import a file as a model folder", arguments: ["import", "file.txt", "-o", "m"], expected: "file.txt: is a file, expected a model folder"),
    Case(name: "import an empty ONNX file", arguments: ["import", "empty.onnx", "--vocab", model + "/vocab.json", "-o", "m"], expected: "empty.onnx: the file is empty"),
    Case(name: "import a folder as ONNX", arguments: ["import", "dir.onnx", "--vocab", model + "/vocab.json", "-o", "m"], expected: "dir.onnx: is a directory"),
    Case(name: "model from a folder as config", arguments: ["model", "--config", "dir.csv", "-o", "x.ir"], expected: "dir.csv: is a directory"),
    Case(name: "model from an empty config", arguments: ["model", "--config", "empty.json", "-o", "x.ir"], expected: "empty.json: is empty, expected a JSON object"),
    Case(name: "init-model with a text file as vocabulary", arguments: ["init-model", "--config", "base", "--vocab", "file.txt", "-o", "m"], expected: "file.txt: is not valid JSON"),
    Case(name: "verify a folder", arguments: ["verify", "dir.wav"], expected: "cannot read dir.wav: it is a directory"),
    Case(name: "verify an empty file", arguments: ["verify", "empty.json"], expected: "empty.json:1:1: error: expected 'graph'"),
    Case(name: "bench audio with nothing usable", arguments: ["bench", "audio", "--data", "allbad.csv"], expected: "allbad.csv: zero utterances usable for the audio benchmark"),
  ]

  @Test(arguments: cases)
  func command(_ test: Case) throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-paths-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try Self.populate(scratch)
    let arguments = test.arguments.map { $0.replacingOccurrences(of: "$SCRATCH", with: scratch) }
    let run = try Self.asrc(arguments, in: scratch + "/" + test.folder)
    if test.succeeds {
      #expect(run.status == 0, "\(run.error)")
      #expect(run.output.contains(test.expected), "\(run.output)")
    } else {
      #expect(run.status == 1, "exit \(run.status): \(run.error)")
      #expect(run.error.contains(test.expected), "\(run.error)")
      #expect(!run.output.contains("WER") && !run.output.contains("step 1:"), "\(run.output)")
    }
  }

  /// A copy of the trainer fixture's data set, and the wrong things users hand asrc.
  static func populate(_ scratch: String) throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    try manager.createDirectory(atPath: scratch + "/set", withIntermediateDirectories: true)
    try manager.copyItem(atPath: TrainCommandTests.trainer.appendingPathComponent("audio").path, toPath: scratch + "/set/audio")
    try manager.copyItem(atPath: TrainCommandTests.trainer.appendingPathComponent("train.csv").path, toPath: scratch + "/set/train.csv")
    for folder in ["dir.wav", "dir.csv", "dir.onnx"] { try manager.createDirectory(atPath: scratch + "/" + folder, withIntermediateDirectories: false) }
    let files: [String: Data] = [
      "file.txt": Data("hello\n".utf8), "empty.json": Data(), "empty.onnx": Data(), "allbad.csv": Data("path,text\nmissing.wav,hi\n".utf8),
      "header.csv": Data("path,text\n".utf8), "zero.flac": emptyFLAC,
    ]
    for (name, data) in files { try data.write(to: URL(fileURLWithPath: scratch + "/" + name)) }
  }

  /// The FLAC stream `sox -n -r 16000 x.flac trim 0 0` writes: STREAMINFO only, total samples 0.
  static let emptyFLAC = Data("fLaC".utf8) + Data([0x80, 0, 0, 34, 0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0x00, 0xF0, 0, 0, 0, 0]) + Data(count: 16)

  static func asrc(_ arguments: [String], in folder: String) throws -> CLITests.Run { try CLITests().asrc(arguments, in: folder) }
}
