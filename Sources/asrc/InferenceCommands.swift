import ArgumentParser
import Audio
import CRuntime
import Foundation
import Formats
import Inference
import Passes
import Runtime

func loadRecognizer(_ folder: String, backend: Backend, precision: LowPrecision? = nil) throws(CommandFailure) -> Recognizer {
  do {
    let model = try ModelDirectory.load(folder)
    for warning in model.warnings { warn(warning) }
    return try Recognizer(model: model, backend: backend, precision: precision)
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
  @Argument(help: "An audio file (WAV, FLAC, OGG/Vorbis, NIST SPHERE, …) at any rate: it is resampled to the model's rate.") var audio: String
  @Option(name: .shortAndLong, help: "The .npy file to write.") var output: String
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var precisionOption: PrecisionOption

  func run() throws {
    try reportingFailures {
      try IRFile.checkWritable(output)
      let recognizer = try loadRecognizer(model, backend: backendOption.backend, precision: precisionOption.lowPrecision(noting: backendOption.backend))
      let samples = try recognizer.loadAudio(audio)
      let logits = try recognizer.logits([samples])
      try NumPy.write(logits.reshaped(Array(logits.shape.dropFirst())), to: output)
      print("wrote \(output): [\(logits.shape[1]), \(logits.shape[2])]")
    }
  }
}

struct Transcribe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Transcribe audio files: greedy CTC decoding as Wav2Vec2CTCTokenizer.decode, or beam search with a word n-gram language model as pyctcdecode; optional word timings.",
    discussion: """
      Files are transcribed one at a time, as transformers does for a single input. A file that cannot be read is reported on \
      standard error and the rest still run; the exit status is then 1.

      Long files are cut into overlapping chunks exactly as transformers' automatic-speech-recognition pipeline does with \
      chunk_length_s and stride_length_s (lengths rounded to multiples of the model's 320-sample frame, each chunk \
      normalised on its own, the strides' frames dropped before the chunks' frames are joined), so memory stays bounded \
      whatever the file's length. Files longer than \(Int(AudioChunking.defaultThresholdSeconds)) s are chunked by default with \
      \(Int(AudioChunking.defaultChunkSeconds)) s chunks and the pipeline's default strides (chunk / 6 on each side); \
      --chunk-length-s 0 runs every file in one pass, and a positive --chunk-length-s chunks every file.

      Formats: text (path<TAB>text per file), tsv (path, start, end, text: one row per word with --timestamps word, else \
      one per file), json (one object per file and line: path, text, and words with start and end in seconds with \
      --timestamps word), srt and vtt (subtitles from the word timings, cues of up to \(TranscriptFormat.maximumCueCharacters) characters). \
      Word times are frame * inputs_to_logits_ratio (320) / sampling rate (16000) s, as the pipeline's return_timestamps="word".

      Decoding is greedy unless there is a language model: --lm FILE.arpa, or the language_model/ folder of a model imported \
      from a Wav2Vec2ProcessorWithLM folder (--no-lm ignores it). Then pyctcdecode's CTC prefix beam search runs on the \
      (stitched) logits with its defaults (beam width 100, alpha 0.5, beta 1.5, unknown-word offset -10, or the folder's \
      attrs.json), giving the text pyctcdecode's BeamSearchDecoderCTC.decode gives; with --timestamps word, the words' \
      frames come from the best beam. --beam-width without a language model asks for a beam search without one.
      """)

  @Option(help: "The model folder (asrc import output or a Hugging Face folder).") var model: String
  @Argument(help: "Audio files (resampled to the model's rate when needed).") var audio: [String]
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var precisionOption: PrecisionOption
  @Option(
    name: .customLong("chunk-length-s"),
    help: "Chunk length in seconds (the pipeline's chunk_length_s); 0: no chunking. Default: \(Int(AudioChunking.defaultChunkSeconds)) for files longer than \(Int(AudioChunking.defaultThresholdSeconds)) s, none for shorter ones.")
  var chunkLengthSeconds: Double?
  @Option(
    name: .customLong("stride-length-s"),
    help: "Stride in seconds, one value for both sides or left,right (the pipeline's stride_length_s). Default: chunk length / 6.")
  var strideLengthSeconds: String?
  @Option(help: "Timings to report: none or word (start and end seconds per word).") var timestamps: TimestampLevel = .none
  @Option(help: "Output format: text, tsv, json, srt or vtt.") var format: TranscriptFormat = .text
  @Option(help: "Write one file per input (NAME.txt, .tsv, .json, .srt or .vtt) into this folder instead of standard output.")
  var outputDir: String?
  @OptionGroup(title: "Beam search and language model") var decoding: DecodingOptions

  func validate() throws {
    if !format.holdsSeveralFiles && audio.count > 1 && outputDir == nil {
      throw ValidationError("--format \(format.rawValue) makes one document per file: give --output-dir for \(audio.count) files")
    }
    // One output file per input, named after it: two inputs of one name would overwrite each other.
    if outputDir != nil {
      var seen: [String: String] = [:]
      for path in audio {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if let first = seen[name] { throw ValidationError("\(first) and \(path) would both be written as \(name).\(format.fileExtension) in --output-dir") }
        seen[name] = path
      }
    }
  }

  func run() throws {
    try reportingFailures {
      if let outputDir { try IRFile.checkFolder(outputDir) }
      let recognizer = try loadRecognizer(model, backend: backendOption.backend, precision: precisionOption.lowPrecision(noting: backendOption.backend))
      let samplingRate = recognizer.model.featureExtractor.samplingRate
      let samplesPerFrame = ChunkedRecognition.samplesPerFrame(recognizer.model.configuration)
      let choice = try ChunkingChoice(
        chunkSeconds: chunkLengthSeconds, stride: strideLengthSeconds, samplingRate: samplingRate, samplesPerFrame: samplesPerFrame)
      let decoder = try decoding.decoder(for: recognizer.model)
      let includesWords = timestamps == .word || format.needsWordTimings
      if outputDir == nil { write(format.header) }
      var failures = 0
      for path in audio {
        do {
          let info = try AudioFile.info(path)
          let chunking = choice.chunking(forSeconds: info.seconds)
          let transcription: Transcription
          if decoder.isBeamSearch {
            // The decoder reads whole logits rows; long files are stitched from their chunks' kept frames.
            let logits: [Float]
            if let chunking {
              let stream = try AudioStream(path: path, rate: samplingRate)
              logits = try ChunkedRecognition(chunking: chunking).logits(recognizer: recognizer, path: path) { count in
                try stream.read(maximumCount: count)
              }
            } else {
              logits = try recognizer.logits([try recognizer.loadAudio(path)]).floats
            }
            transcription = try decoder.transcription(
              path: path, logits: logits, classes: recognizer.model.configuration.vocabSize, tokenizer: recognizer.model.tokenizer,
              samplesPerFrame: samplesPerFrame, samplingRate: samplingRate, duration: info.seconds, includesWords: includesWords)
          } else {
            let ids: [Int]
            if let chunking {
              let stream = try AudioStream(path: path, rate: samplingRate)
              ids = try ChunkedRecognition(chunking: chunking).frameIds(recognizer: recognizer, path: path) { count in
                try stream.read(maximumCount: count)
              }
            } else {
              let samples = try recognizer.loadAudio(path)
              let logits = try recognizer.logits([samples])
              ids = GreedyDecoding.frameIds(logits.floats, shape: logits.shape, row: 0, frames: logits.shape[1])
            }
            transcription = Transcription(
              path: path, frameIds: ids, tokenizer: recognizer.model.tokenizer, samplesPerFrame: samplesPerFrame, samplingRate: samplingRate,
              duration: info.seconds, includesWords: includesWords)
          }
          if let outputDir {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let file = URL(fileURLWithPath: outputDir).appendingPathComponent("\(name).\(format.fileExtension)").path
            try IRFile.write(format.document(transcription), to: file)
          } else {
            // Written straight to the descriptor so that each file's result appears as soon as it is decoded.
            write(format.records(transcription))
          }
        } catch {
          failures += 1
          FileHandle.standardError.write(Data("asrc: error: \(reason(error))\n".utf8))
        }
      }
      if failures > 0 { throw CommandFailure("\(failures) of \(audio.count) files could not be transcribed") }
    }
  }

  private func write(_ text: String) {
    if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
  }
}
