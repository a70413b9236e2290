import ArgumentParser
import Foundation
import Formats
import Inference
import Runtime

func loadRecognizer(_ folder: String) throws(CommandFailure) -> Recognizer {
  do {
    let model = try ModelDirectory.load(folder)
    for warning in model.warnings { warn(warning) }
    return try Recognizer(model: model)
  } catch let error as FormatError {
    throw CommandFailure("\(error)")
  } catch {
    throw CommandFailure("\(folder): \(error)")
  }
}

struct Logits: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a file's float32 logits [frames, vocab] as NumPy .npy (after the feature extractor's normalisation).")

  @Option(help: "The model folder (asrc import output or a Hugging Face folder).") var model: String
  @Argument(help: "A 16 kHz audio file.") var audio: String
  @Option(name: .shortAndLong, help: "The .npy file to write.") var output: String

  func run() throws {
    try reportingFailures {
      try IRFile.checkWritable(output)
      let recognizer = try loadRecognizer(model)
      let samples = try recognizer.loadAudio(audio)
      let logits = try recognizer.logits([samples])
      try NumPy.write(logits.reshaped(Array(logits.shape.dropFirst())), to: output)
      print("wrote \(output): [\(logits.shape[1]), \(logits.shape[2])]")
    }
  }
}

struct Transcribe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print path<TAB>text for each audio file: greedy CTC decoding as Wav2Vec2CTCTokenizer.decode.",
    discussion: "Files are transcribed one at a time, as transformers does for a single input. A file that cannot be read is reported on standard error and the rest still run; the exit status is then 1.")

  @Option(help: "The model folder (asrc import output or a Hugging Face folder).") var model: String
  @Argument(help: "16 kHz audio files.") var audio: [String]

  func run() throws {
    try reportingFailures {
      let recognizer = try loadRecognizer(model)
      var failures = 0
      for path in audio {
        do {
          let samples = try recognizer.loadAudio(path)
          let logits = try recognizer.logits([samples])
          // Written straight to the descriptor so that each line appears as soon as it is decoded.
          FileHandle.standardOutput.write(Data("\(path)\t\(recognizer.transcripts(logits: logits, sampleCounts: [samples.count])[0])\n".utf8))
        } catch {
          failures += 1
          FileHandle.standardError.write(Data("asrc: error: \(error)\n".utf8))
        }
      }
      if failures > 0 { throw CommandFailure("\(failures) of \(audio.count) files could not be transcribed") }
    }
  }
}
