import Foundation
import TestSupport
import Testing

/// Commands the README lists that CLITests does not cover: `asrc vocab`, `asrc data`,
/// `asrc grad`, `asrc dot`, `asrc eval`, `asrc init-model`, and `asrc train` on bad input.
/// Expected values come from the fixtures the scripts in tools/ made with transformers / jiwer.
@Suite struct CommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let examples = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

  func asrc(_ arguments: String...) throws -> CLITests.Run { try asrc(arguments) }

  func asrc(_ arguments: [String]) throws -> CLITests.Run { try CLITests().asrc(arguments) }

  /// A fresh temporary folder, removed when `body` returns.
  func withScratch(_ body: (String) throws -> Void) throws { try withTemporaryFolder("asrc-commands", body) }

  static func json(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
  }

  /// The tensors of a .safetensors file (F32 and F64) as Doubles, and its metadata.
  static func readSafetensors(_ path: String) throws -> (tensors: [String: (shape: [Int], values: [Double])], metadata: [String: String]) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
    let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
    let body = data.subdata(in: (8 + headerLength)..<data.count)
    var tensors: [String: (shape: [Int], values: [Double])] = [:]
    for (name, entry) in header where name != "__metadata__" {
      let entry = entry as! [String: Any]
      let offsets = entry["data_offsets"] as! [Int]
      let bytes = body.subdata(in: offsets[0]..<offsets[1])
      let values: [Double] = switch entry["dtype"] as! String {
      case "F32": bytes.withUnsafeBytes { raw in (0..<(bytes.count / 4)).map { Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian)) } }
      case "F64": bytes.withUnsafeBytes { raw in (0..<(bytes.count / 8)).map { Double(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self).littleEndian) } }
      default: []
      }
      tensors[name] = (entry["shape"] as! [Int], values)
    }
    return (tensors, header["__metadata__"] as? [String: String] ?? [:])
  }

  // MARK: vocab

  /// The vocabulary of tools/make_vocab_reference.py: the guide's character set after its
  /// normalisation, in asrc's documented order; Wav2Vec2CTCTokenizer encoded the transcripts with it.
  @Test func vocabMatchesTheGuidesCharacterSet() throws {
    let expected = try Self.json(Self.fixtures.appendingPathComponent("vocab/expected.json").path)
    try withScratch { folder in
      let run = try asrc("vocab", "--train", Self.fixtures.appendingPathComponent("vocab/transcripts.csv").path, "-o", folder + "/out/vocab.json")
      #expect(run.status == 0, "\(run.error)")
      let written = try Self.json(folder + "/out/vocab.json") as? [String: Int]
      #expect(written == expected["vocab"] as? [String: Int], "\(run.output)")
      #expect(run.output.contains("\((expected["vocab"] as! [String: Int]).count) tokens from \((expected["texts"] as! [String]).count) transcripts"))
      let missing = try asrc("vocab", "--train", folder + "/nope.csv", "-o", folder + "/v.json")
      #expect(missing.status != 0 && missing.error.contains("nope.csv") && missing.error.contains("no such file"), "\(missing.error)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/v.json"))
      try Data("keep".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
      let blocked = try asrc("vocab", "--train", Self.fixtures.appendingPathComponent("vocab/transcripts.csv").path, "-o", folder + "/file/vocab.json")
      #expect(blocked.status != 0 && blocked.error.contains("cannot write \(folder)/file/vocab.json"), "\(blocked.error)")
      #expect(try String(contentsOfFile: folder + "/file", encoding: .utf8) == "keep")
    }
  }

  // MARK: data

  /// The collator fixture's three clips (0.15 s, 0.10 s, 0.125 s) plus a missing file and a
  /// transcript with a character outside the vocabulary.
  @Test func dataReportsWhatItHoldsAndSkips() throws {
    let collator = Self.fixtures.appendingPathComponent("collator")
    let facts = try Self.json(collator.appendingPathComponent("expected.json").path)
    let clips = facts["clips"] as! [[String: Any]]
    try withScratch { folder in
      var rows = clips.map { "\(collator.appendingPathComponent("audio/\($0["name"] as! String).wav").path),\($0["text"] as! String)" }
      rows += ["\(folder)/missing.wav,hi", "\(collator.appendingPathComponent("audio/a.wav").path),x½y"]
      try (["path,text"] + rows).joined(separator: "\n").write(toFile: folder + "/data.csv", atomically: true, encoding: .utf8)
      let run = try asrc("data", folder + "/data.csv", "--vocab", collator.appendingPathComponent("vocab.json").path)
      #expect(run.status == 0, "\(run.error)")
      let seconds = clips.map { $0["seconds"] as! Double }
      #expect(run.output.contains(String(format: "durations: %.2f s to %.2f s", seconds.min()!, seconds.max()!)), "\(run.output)")
      #expect(run.output.contains("missing.wav") && run.output.contains("no such file"), "\(run.output)")
      #expect(run.output.contains("'½'"), "\(run.output)")
      #expect(run.output.contains("skipped 2"), "\(run.output)")
      let missing = try asrc("data", folder + "/none.csv")
      #expect(missing.status != 0 && missing.error.contains("none.csv") && missing.error.contains("no such file"), "\(missing.error)")
    }
  }

  // MARK: grad

  /// `asrc grad` on the 3 s clip of tools/make_long_reference.py against its float64 autograd
  /// gradients. Measured: every tensor within 1.1e-6 relative L2 (allowed 3e-6), the loss within
  /// 5.3e-8 relative (allowed 2e-7).
  /// On both backends: with the C backend, the training graph's library also has the optimizer
  /// step, and `grad` still reads the gradients of its model step.
  @Test(arguments: ["interp", "c"]) func gradWritesTheGradientsOfAutograd(backend: String) throws {
    let long = Self.fixtures.appendingPathComponent("long")
    let facts = ((try Self.json(long.appendingPathComponent("expected.json").path)["models"] as! [String: Any])["group_postln_evenpos"] as! [String: Any])["3s"] as! [String: Any]
    let clip = ((try Self.json(long.appendingPathComponent("expected.json").path)["clips"] as! [String: Any])["3s"] as! [String: Int])
    #expect(clip["start"] == 0 && clip["repeats"] == 1)
    try withScratch { folder in
      // The first `end` samples of long.wav (16-bit mono PCM), as a WAV file of their own.
      var wav = try Data(contentsOf: long.appendingPathComponent("audio/long.wav"))
      let dataTag = try #require(wav.firstRange(of: Data("data".utf8)))
      let byteCount = clip["end"]! * 2
      wav = wav.prefix(dataTag.upperBound + 4 + byteCount)
      wav.replaceSubrange(dataTag.upperBound..<(dataTag.upperBound + 4), with: withUnsafeBytes(of: UInt32(byteCount).littleEndian) { Data($0) })
      wav.replaceSubrange(4..<8, with: withUnsafeBytes(of: UInt32(wav.count - 8).littleEndian) { Data($0) })
      try wav.write(to: URL(fileURLWithPath: folder + "/3s.wav"))

      let run = try asrc(
        "grad", "--model", Self.fixtures.appendingPathComponent("reference/group_postln_evenpos").path, "--audio", folder + "/3s.wav",
        "--text", facts["text"] as! String, "-o", folder + "/grads.safetensors", "--backend", backend)
      #expect(run.status == 0, "\(run.error)")
      let ours = try Self.readSafetensors(folder + "/grads.safetensors")
      let exact = try Self.readSafetensors(long.appendingPathComponent("group_postln_evenpos/3s.safetensors").path)
      #expect(Set(ours.tensors.keys) == Set(exact.tensors.keys))
      let globalNorm = exact.tensors.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1 * $1 } }.squareRoot()
      var worst = 0.0
      for (name, truth) in exact.tensors {
        let actual = try #require(ours.tensors[name])
        #expect(actual.shape == truth.shape, "\(name)")
        let truthNorm = truth.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let error = zip(actual.values, truth.values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        if truthNorm <= 1e-9 * globalNorm {
          #expect(error <= 1e-6 * globalNorm, "\(name) should vanish")
          continue
        }
        worst = max(worst, error / truthNorm)
        #expect(error / truthNorm <= 3e-6, "\(name): relative L2 error \(error / truthNorm) against float64 autograd")
      }
      let loss = try #require(Double(ours.metadata["loss"] ?? ""))
      let exactLoss = facts["loss_float64"] as! Double
      #expect(abs(loss - exactLoss) / exactLoss <= 2e-7, "loss \(loss), float64 \(exactLoss)")
      #expect(ours.metadata["text"] == facts["text"] as? String)
      print("asrc grad (\(backend)): worst relative L2 error \(worst) against float64 autograd over \(exact.tensors.count) tensors; loss relative error \(abs(loss - exactLoss) / exactLoss)")

      let unknown = try asrc(
        "grad", "--model", Self.fixtures.appendingPathComponent("reference/group_postln_evenpos").path, "--audio", folder + "/3s.wav",
        "--text", "naïve", "-o", folder + "/bad.safetensors")
      #expect(unknown.status != 0 && unknown.error.contains("'ï'"), "\(unknown.error)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/bad.safetensors"))
    }
  }

  // MARK: dot

  @Test func dotDrawsEveryNode() throws {
    let source = Self.examples.appendingPathComponent("conv-block.ir").path
    try withScratch { folder in
      let run = try asrc("dot", source, "-o", folder + "/block.dot")
      #expect(run.status == 0, "\(run.error)")
      let dot = try String(contentsOfFile: folder + "/block.dot", encoding: .utf8)
      #expect(dot.hasPrefix("digraph"))
      // Every op and every named value of the IR file appears in the drawing.
      let text = try String(contentsOfFile: source, encoding: .utf8)
      for line in text.split(separator: "\n") where line.contains(" = ") && !line.contains("output ") && !line.hasPrefix("//") {
        let op = line.split(separator: "=")[1].split(separator: "(")[0].trimmingCharacters(in: .whitespaces)
        #expect(dot.contains(op), "\(op) missing from the drawing")
      }
      for name in ["input_values", "features", "conv_layers.0.conv.weight"] { #expect(dot.contains(name), "\(name) missing") }

      try "graph @g {\n  input %x: f32[4]\n  %y = expp(%x) : f32[4]\n  output y = %y\n}\n".write(toFile: folder + "/bad.ir", atomically: true, encoding: .utf8)
      let bad = try asrc("dot", folder + "/bad.ir", "-o", folder + "/bad.dot")
      #expect(bad.status != 0 && bad.error.contains("bad.ir:3:8: error: unknown op 'expp'"), "\(bad.error)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/bad.dot"))
      let missing = try asrc("dot", folder + "/none.ir", "-o", folder + "/none.dot")
      #expect(missing.status != 0 && missing.error.contains("none.ir: no such file"), "\(missing.error)")

      let svg = try asrc("dot", source, "-o", folder + "/drawn.dot", "--svg")
      if svg.status == 0 {
        #expect(try String(contentsOfFile: folder + "/drawn.svg", encoding: .utf8).contains("<svg"))
      } else {
        #expect(svg.error.contains("Graphviz's dot is not installed"), "\(svg.error)")
        #expect(FileManager.default.fileExists(atPath: folder + "/drawn.dot"))
      }
    }
  }

  // MARK: eval

  /// `asrc eval` on the three reference clips (batch size 1): the WER and CER it prints and the
  /// per-utterance counts it writes against jiwer (tools/make_error_rate_reference.py).
  @Test func evalPrintsJiwersRates() throws {
    let eval = try Self.json(Self.fixtures.appendingPathComponent("error_rate/expected.json").path)["eval"] as! [String: Any]
    let references = eval["references"] as! [String: String]
    try withScratch { folder in
      let rows = references.keys.sorted().map { "\(Self.fixtures.appendingPathComponent("reference/audio/\($0).wav").path),\(references[$0]!)" }
      try (["path,text"] + rows).joined(separator: "\n").write(toFile: folder + "/eval.csv", atomically: true, encoding: .utf8)
      let run = try asrc(
        "eval", "--model", Self.fixtures.appendingPathComponent("reference/group_postln_evenpos").path, "--data", folder + "/eval.csv",
        "--batch-size", "1", "-o", folder + "/results.jsonl")
      #expect(run.status == 0, "\(run.error)")
      #expect(run.output.contains(String(format: "WER %.4f  CER %.4f", eval["wer"] as! Double, eval["cer"] as! Double)), "\(run.output)")
      let lines = try String(contentsOfFile: folder + "/results.jsonl", encoding: .utf8).split(separator: "\n")
      #expect(lines.count == 3)
      let perUtterance = eval["per_utterance"] as! [String: [String: [String: Any]]]
      for line in lines {
        let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let name = (((result["path"] as! String) as NSString).lastPathComponent as NSString).deletingPathExtension
        let facts = try #require(perUtterance[name])
        #expect(result["hypothesis"] as? String == (eval["hypotheses"] as! [String: String])[name])
        #expect(result["word_errors"] as? Int == facts["words"]!["errors"] as? Int)
        #expect(result["words"] as? Int == facts["words"]!["reference_length"] as? Int)
        #expect(result["character_errors"] as? Int == facts["characters"]!["errors"] as? Int)
        #expect(result["characters"] as? Int == facts["characters"]!["reference_length"] as? Int)
      }
    }
  }

  // MARK: init-model

  /// `asrc init-model` writes every tensor transformers' Wav2Vec2ForCTC has, with its shape; a
  /// single seed's per-tensor mean and std lie within five standard errors of transformers'
  /// 16-seed averages (one seed's spread; InitializerTests checks 16 seeds more tightly).
  @Test func initModelWritesTransformersTensors() throws {
    let facts = (try Self.json(Self.fixtures.appendingPathComponent("init/expected.json").path)["configs"] as! [String: [String: Any]])["layer_stable"]!
    let tensors = facts["tensors"] as! [String: [String: Any]]
    try withScratch { folder in
      let run = try asrc(
        "init-model", "--config", Self.fixtures.appendingPathComponent("init/layer_stable/config.json").path, "--vocab",
        Self.fixtures.appendingPathComponent("init/layer_stable/vocab.json").path, "-o", folder + "/model", "--seed", "7")
      #expect(run.status == 0, "\(run.error)")
      let written = try Self.readSafetensors(folder + "/model/model.safetensors").tensors
      #expect(Set(written.keys) == Set(tensors.keys), "\(Set(written.keys).symmetricDifference(tensors.keys).sorted())")
      for (name, reference) in tensors {
        let tensor = try #require(written[name])
        #expect(tensor.shape == reference["shape"] as! [Int], "\(name)")
        let mean = tensor.values.reduce(0, +) / Double(tensor.values.count)
        let std = (tensor.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(tensor.values.count)).squareRoot()
        for (what, ours, theirs, spread) in [("mean", mean, reference["mean"] as! Double, reference["mean_spread"] as! Double), ("std", std, reference["std"] as! Double, reference["std_spread"] as! Double)] {
          if spread == 0 {
            #expect(ours == theirs, "\(name) \(what): \(ours), transformers \(theirs)")
          } else {
            #expect(abs(ours - theirs) <= 5 * spread * (1 + 1.0 / 16).squareRoot(), "\(name) \(what): \(ours), transformers \(theirs) ± \(spread)")
          }
        }
      }
      let config = try Self.json(folder + "/model/config.json")
      #expect(config["vocab_size"] as? Int == 12 && config["pad_token_id"] as? Int == 11)
    }
  }

  // MARK: train with augmentation

  /// `asrc train` with augmentation: the options reach the trainer and training_args.json, and
  /// an utterance too short for CTC at speed 1.1 is reported (trained at the other factors), or
  /// skipped with the reason when 1.1 is the only factor.
  @Test func trainWithAugmentationReportsWhatSpeedPerturbationLeavesOut() throws {
    let trainer = Self.fixtures.appendingPathComponent("trainer")
    try withScratch { folder in
      // "abc" needs 3 frames (1040 samples or more); 1100 samples give 1000 at speed 1.1: 2 frames.
      var wav = Data("RIFF".utf8)
      func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { wav.append(contentsOf: $0) } }
      append(UInt32(36 + 2200))
      wav.append(contentsOf: Array("WAVEfmt ".utf8))
      for value in [UInt32(16)] { append(value) }
      for value in [UInt16(1), UInt16(1)] { append(value) }
      for value in [UInt32(16000), UInt32(32000)] { append(value) }
      for value in [UInt16(2), UInt16(16)] { append(value) }
      wav.append(contentsOf: Array("data".utf8))
      append(UInt32(2200))
      for index in 0..<1100 { append(Int16(8000 * sin(Double(index) / 5))) }
      try wav.write(to: URL(fileURLWithPath: folder + "/tight.wav"))
      let audio = trainer.appendingPathComponent("audio").path
      let manifest = ["path,text", "\(audio)/a.wav,hi there", "\(audio)/b.wav,we can't go", "tight.wav,abc"].joined(separator: "\n") + "\n"
      try manifest.write(toFile: folder + "/train.csv", atomically: true, encoding: .utf8)
      let common = [
        "train", "--backend", "interp", "--model", trainer.appendingPathComponent("initial").path, "--train", folder + "/train.csv",
        "--per-device-train-batch-size", "3", "--max-steps", "1", "--save-steps", "0", "--logging-steps", "1",
      ]
      let run = try asrc(
        common + [
          "--output-dir", folder + "/out", "--speed-perturb", "0.9,1.0,1.1", "--noise-snr-db", "20", "--gain-db", "-3,3", "--start-silence", "0,0.2",
          "--end-silence", "0.1", "--silence-prob", "0.5",
        ])
      #expect(run.status == 0, "\(run.error)")
      #expect(run.output.contains("1 utterance trains only at the --speed-perturb factors long enough for CTC"), "\(run.output)")
      #expect(run.output.contains("\(folder)/tight.wav: at speed 1.1 the transcript is too long for the audio: CTC needs 3 frames, the audio yields 2"), "\(run.output)")
      #expect(
        run.output.contains(
          "augmentation of the training clips: speed 0.9/1.0/1.1, silence 0.0…0.2 s before, 0.1…0.1 s after (probability 0.5), gain -3.0…3.0 dB, noise at 20.0…20.0 dB SNR (white noise)"
        ), "\(run.output)")
      let recorded = try Self.json(folder + "/out/training_args.json")
      #expect(recorded["speed_perturb"] as? [Double] == [0.9, 1.0, 1.1] && recorded["noise_snr_db"] as? [Double] == [20, 20] && recorded["gain_db"] as? [Double] == [-3, 3])
      #expect(recorded["start_silence"] as? [Double] == [0, 0.2] && recorded["end_silence"] as? [Double] == [0.1, 0.1] && recorded["silence_prob"] as? Double == 0.5)
      let fastOnly = try asrc(common + ["--output-dir", folder + "/fast", "--speed-perturb", "1.1"])
      #expect(fastOnly.status == 0, "\(fastOnly.error)")
      #expect(fastOnly.output.contains("2 utterances") && fastOnly.output.contains("skipped 1:"), "\(fastOnly.output)")
      #expect(fastOnly.output.contains("\(folder)/tight.wav: too short at every --speed-perturb factor: at speed 1.1"), "\(fastOnly.output)")
    }
  }

  // MARK: train on bad input

  /// Each bad input: a non-zero exit, one error naming the option or file and the reason, and
  /// what was already in the output folder untouched.
  @Test func trainRejectsBadInputClearly() throws {
    let trainer = Self.fixtures.appendingPathComponent("trainer")
    let model = trainer.appendingPathComponent("initial").path
    let data = trainer.appendingPathComponent("train.csv").path
    try withScratch { folder in
      let output = folder + "/out"
      try FileManager.default.createDirectory(atPath: output + "/checkpoint-3", withIntermediateDirectories: true)
      try Data("earlier".utf8).write(to: URL(fileURLWithPath: output + "/checkpoint-3/trainer_state.json"))
      try "path,text\n".write(toFile: folder + "/empty.csv", atomically: true, encoding: .utf8)
      try Data("a file".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
      // --overwrite-output-dir lets each case reach its own check past the earlier run's folder.
      let common = ["--per-device-train-batch-size", "2", "--max-steps", "1", "--save-steps", "0", "--logging-steps", "1", "--overwrite-output-dir"]
      let cases: [(arguments: [String], message: String)] = [
        (["--model", folder + "/no-model", "--train", data, "--output-dir", output], "--model \(folder)/no-model: no such file or folder"),
        (["--model", model, "--train", folder + "/none.csv", "--output-dir", output], "--train \(folder)/none.csv: no such file or folder"),
        (["--model", model, "--train", folder + "/empty.csv", "--output-dir", output], "\(folder)/empty.csv: zero utterances usable for training"),
        (["--model", model, "--train", data, "--train", folder + "/none.csv", "--output-dir", output], "--train \(folder)/none.csv: no such file or folder"),
        (["--model", model, "--train", data, "--train", data, "--output-dir", output], "\(data): given twice"),
        (["--model", model, "--train", data, "--output-dir", output, "--learning-rate=-0.001"], "--learning-rate must be positive, not -0.001"),
        // A negative number as a separate word reaches the range check, not the option parser.
        (["--model", model, "--train", data, "--output-dir", output, "--learning-rate", "-1e-4"], "--learning-rate must be positive, not -0.0001"),
        (["--model", model, "--train", data, "--output-dir", output, "--max-steps", "-1", "--num-train-epochs", "0"], "--num-train-epochs"),
        (["--model", model, "--train", data, "--output-dir", output, "--per-device-train-batch-size", "0"], "--per-device-train-batch-size must be positive, not 0"),
        (["--model", model, "--train", data, "--output-dir", output, "--warmup-steps=-5"], "--warmup-steps must be zero or positive (below 1: a ratio of the total), at most 1e9, not -5.0"),
        (["--model", model, "--train", data, "--output-dir", output, "--lr-scheduler-type", "cosine_annealing"], "--lr-scheduler-type must be one of linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup, not cosine_annealing"),
        (["--model", model, "--train", data, "--output-dir", output, "--adam-beta2", "1.5"], "--adam-beta2 must be in [0, 1), not 1.5"),
        (["--model", model, "--train", data, "--output-dir", folder + "/file"], "--output-dir \(folder)/file: it is a file, not a folder"),
        (["--model", model, "--train", data, "--output-dir", output, "--seed", "x"], "--seed"),
        (["--model", model, "--train", data, "--output-dir", output, "--report-to", "wandb"], "The value 'wandb' is invalid for '--report-to <report-to>'"),
        (["--model", model, "--train", data, "--output-dir", output, "--report-to", "tensorboard", "--logging-dir", folder + "/file/runs"],
         "--logging-dir \(folder)/file/runs: \(folder)/file is a file, not a folder"),
        (["--model", model, "--train", data, "--output-dir", output, "--speed-perturb", "0.9,x"], "'x' is not a number (expected comma-separated numbers, e.g. 0.9,1.0,1.1)"),
        (["--model", model, "--train", data, "--output-dir", output, "--speed-perturb", "0,1.1"], "--speed-perturb factors must be positive, not 0.0"),
        (["--model", model, "--train", data, "--output-dir", output, "--noise-snr-db", "30,10"], "--noise-snr-db MIN,MAX must have MIN ≤ MAX, not 30.0,10.0"),
        // A negative range as a separate word reaches the checks too.
        (["--model", model, "--train", data, "--output-dir", output, "--gain-db", "-6,-12"], "--gain-db MIN,MAX must have MIN ≤ MAX, not -6.0,-12.0"),
        (["--model", model, "--train", data, "--output-dir", output, "--noise-dir", folder], "--noise-dir needs --noise-snr-db"),
        (["--model", model, "--train", data, "--output-dir", output, "--noise-snr-db", "10", "--noise-dir", folder + "/file"], "\(folder)/file: is a file, expected a folder of noise recordings"),
      ]
      // Negative values are written --option=-1: ArgumentParser reads a separate "-1" as an option.
      let earlierRun = try asrc(["train", "--model", model, "--train", data, "--output-dir", output, "--max-steps", "1"])
      #expect(earlierRun.status != 0 && earlierRun.error.contains("holds an earlier run (checkpoint-3)"), "\(earlierRun.error)")
      for (arguments, message) in cases {
        // Options given twice: the later one wins, so the case's own value overrides `common`.
        let run = try asrc(["train"] + common + arguments)
        #expect(run.status != 0, "\(arguments): exit 0")
        #expect(run.error.contains(message), "\(arguments): \(run.error)")
        #expect(!run.error.contains("Fatal error") && !run.error.contains("Stack dump"), "\(arguments): crashed: \(run.error)")
        #expect(try String(contentsOfFile: output + "/checkpoint-3/trainer_state.json", encoding: .utf8) == "earlier", "\(arguments) touched the output folder")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output) == ["checkpoint-3"], "\(arguments) wrote into the output folder")
        #expect(try String(contentsOfFile: folder + "/file", encoding: .utf8) == "a file")
      }
    }
  }
}
