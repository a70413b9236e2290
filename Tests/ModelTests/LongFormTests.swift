import Audio
import Foundation
import Formats
import Inference
import Testing

/// The fixtures of tools/make_longform_reference.py: transformers' ASR pipeline run with
/// chunk_length_s / stride_length_s / return_timestamps="word" on a 21 s clip.
enum LongFormFixtures {
  static let root = Fixtures.root.deletingLastPathComponent().appendingPathComponent("longform")
  static let models = ["stable_mask", "group_nomask"]
  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static var expected: [String: Any] {
    let data = try! Data(contentsOf: root.appendingPathComponent("expected.json"))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  static func settings(_ model: String) -> [[String: Any]] {
    ((expected["models"] as! [String: Any])[model] as! [String: Any])["settings"] as! [[String: Any]]
  }

  /// stride_length_s as the pipeline took it: absent, one number, or [left, right].
  static func strideSeconds(_ value: Any?) -> [Double]? {
    switch value {
    case let pair as [NSNumber]: return pair.map(\.doubleValue)
    case let number as NSNumber: return [number.doubleValue]
    default: return nil
    }
  }
}

/// Character error rate: Levenshtein distance over the reference's length.
func characterErrorRate(_ hypothesis: String, _ reference: String) -> Double {
  let (a, b) = (Array(hypothesis), Array(reference))
  var row = Array(0...b.count)
  for i in 1...max(a.count, 1) where !a.isEmpty {
    var previous = row[0]
    row[0] = i
    for j in 1...max(b.count, 1) where !b.isEmpty {
      let current = row[j]
      row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return Double(a.isEmpty ? b.count : row[b.count]) / Double(max(b.count, 1))
}

@Suite struct LongFormTests {
  /// Transcripts equal to the pipeline's and word timings within one frame, for every setting.
  @Test(arguments: LongFormFixtures.models)
  func chunkedTranscriptsMatchThePipeline(_ model: String) throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(LongFormFixtures.path(model)))
    let samplesPerFrame = ChunkedRecognition.samplesPerFrame(recognizer.model.configuration)
    for setting in LongFormFixtures.settings(model) {
      let chunkSeconds = (setting["chunk_length_s"] as! NSNumber).doubleValue
      let chunking = try AudioChunking(
        chunkSeconds: chunkSeconds, strideSeconds: LongFormFixtures.strideSeconds(setting["stride_length_s"]), samplingRate: 16000,
        alignment: samplesPerFrame)
      let path = LongFormFixtures.path("long.flac")
      // Odd-sized blocks, so that chunks straddle the reader's blocks.
      let stream = try AudioStream(path: path, rate: 16000, blockFrames: 12345)
      let ids = try ChunkedRecognition(chunking: chunking).frameIds(recognizer: recognizer, path: path) { try stream.read(maximumCount: $0) }
      let result = Transcription(
        path: path, frameIds: ids, tokenizer: recognizer.model.tokenizer, samplesPerFrame: samplesPerFrame, samplingRate: 16000,
        duration: stream.info.seconds, includesWords: true)
      let text = setting["text"] as! String
      let stride = LongFormFixtures.strideSeconds(setting["stride_length_s"]).map { "\($0)" } ?? "default"
      let label = "\(model) chunk \(chunkSeconds) stride \(stride)"
      print("longform \(label): CER against the pipeline \(characterErrorRate(result.text, text)) over \(text.count) characters")
      #expect(result.text == text, "\(label)")
      let words = (setting["words"] as! [[Any]]).map {
        TimedWord(word: $0[0] as! String, start: ($0[1] as! NSNumber).doubleValue, end: ($0[2] as! NSNumber).doubleValue)
      }
      let timed = try #require(result.words)
      #expect(timed.map(\.word) == words.map(\.word), "\(label)")
      let worst = zip(timed, words).map { max(abs($0.start - $1.start), abs($0.end - $1.end)) }.max() ?? 0
      print("longform \(label): \(words.count) words, largest timing difference \(worst) s")
      // The acceptance bound is one frame (20 ms); measured: identical (offsets × 0.02 s in both).
      #expect(worst <= 1e-9, "\(label): a word's time is \(worst) s off")
    }
  }

  /// Chunk lengths, strides, starts, lengths, last flags and logits-frame strides against
  /// transformers' own preprocess rounding, chunk_iter and rescale_stride.
  @Test func chunkBoundariesMatchThePipeline() throws {
    let table = LongFormFixtures.expected["boundaries"] as! [[String: Any]]
    #expect(table.count >= 5)
    for entry in table {
      let chunkSeconds = (entry["chunk_length_s"] as! NSNumber).doubleValue
      let chunking = try AudioChunking(
        chunkSeconds: chunkSeconds, strideSeconds: LongFormFixtures.strideSeconds(entry["stride_length_s"]), samplingRate: 16000, alignment: 320)
      #expect(chunking.chunkLength == entry["chunk_length"] as! Int, "\(chunkSeconds)")
      #expect(chunking.leftStride == entry["left_stride"] as! Int, "\(chunkSeconds)")
      #expect(chunking.rightStride == entry["right_stride"] as! Int, "\(chunkSeconds)")
      for testCase in entry["cases"] as! [[String: Any]] {
        let samples = testCase["samples"] as! Int
        let expected = (testCase["chunks"] as! [[String: Any]]).map { chunk in
          (
            AudioChunk(
              start: chunk["start"] as! Int, length: chunk["length"] as! Int, leftStride: chunk["left"] as! Int,
              rightStride: chunk["right"] as! Int, isLast: chunk["is_last"] as! Bool),
            chunk["frame_stride"] as! [Int]
          )
        }
        let chunks = chunking.chunks(sampleCount: samples)
        #expect(chunks == expected.map(\.0), "chunk \(chunkSeconds) s, \(samples) samples")
        let strides = chunks.map { $0.frameStride(alignment: 320) }.map { [$0.frames, $0.left, $0.right] }
        #expect(strides == expected.map(\.1), "chunk \(chunkSeconds) s, \(samples) samples")
      }
    }
  }

  /// The stitched logits a language model decodes are the rows whose best classes are the
  /// chunked frame ids: the same frames kept from the same chunks, in order.
  @Test func stitchedLogitsAreTheKeptFramesOfEachChunk() throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(LongFormFixtures.path("group_nomask")))
    let samples = try recognizer.loadAudio(LongFormFixtures.path("long.flac"))
    let chunking = try AudioChunking(chunkSeconds: 8, strideSeconds: [2, 1], samplingRate: 16000, alignment: 320)
    let recognition = ChunkedRecognition(chunking: chunking)
    let ids = try recognition.frameIds(recognizer: recognizer, samples: samples)
    var position = 0
    let logits = try recognition.logits(recognizer: recognizer, path: "long.flac") { count in
      let end = min(samples.count, position + count)
      defer { position = end }
      return Array(samples[position..<end])
    }
    let classes = recognizer.model.configuration.vocabSize
    #expect(logits.count == ids.count * classes)
    #expect(GreedyDecoding.frameIds(logits, shape: [1, ids.count, classes], row: 0, frames: ids.count) == ids)
  }

  /// Audio no longer than one chunk is one chunk without strides: the same frames as one pass.
  @Test func audioShorterThanAChunkMatchesOnePass() throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(Fixtures.path("layer_stable_oddpos")))
    let samples = try recognizer.loadAudio(Fixtures.path("audio/c.wav"))
    let logits = try recognizer.logits([samples])
    let whole = GreedyDecoding.frameIds(logits.floats, shape: logits.shape, row: 0, frames: logits.shape[1])
    let chunking = try AudioChunking(chunkSeconds: 30, samplingRate: 16000, alignment: 320)
    #expect(try ChunkedRecognition(chunking: chunking).frameIds(recognizer: recognizer, samples: samples) == whole)
    #expect(throws: AudioError.self) {
      try ChunkedRecognition(chunking: chunking).frameIds(recognizer: recognizer, samples: Array(samples.prefix(300)), path: "short.wav")
    }
  }

  /// Reading in blocks gives the samples AudioFile.load gives, with and without resampling.
  @Test(arguments: ["longform/long.flac", "audio/pcm24_44k_stereo.wav", "audio/pcm32_8k_mono.wav", "audio/float32_22k_mono.wav"])
  func streamedSamplesEqualWholeFileSamples(_ relative: String) throws {
    let path = Fixtures.root.deletingLastPathComponent().appendingPathComponent(relative).path
    let whole = try AudioFile.load(path, rate: 16000)
    for block in [1000, 4096, 1 << 16] {
      let stream = try AudioStream(path: path, rate: 16000, blockFrames: block)
      var streamed: [Float] = []
      while !stream.isFinished { streamed += try stream.read(maximumCount: 7777) }
      #expect(streamed.count == whole.count, "\(relative) blocks of \(block)")
      #expect(streamed == whole, "\(relative) blocks of \(block): max |Δ| = \(zip(streamed, whole).map { abs($0 - $1) }.max() ?? 0)")
    }
  }

  @Test func impossibleSettingsAreRejected() {
    #expect(throws: ChunkingError.self) { try AudioChunking(chunkSeconds: 2, strideSeconds: [-0.5], samplingRate: 16000, alignment: 320) }
    #expect(throws: ChunkingError.self) { try AudioChunking(chunkSeconds: 2, strideSeconds: [1, 1], samplingRate: 16000, alignment: 320) }
    #expect(throws: ChunkingError.self) { try AudioChunking(chunkSeconds: 0, samplingRate: 16000, alignment: 320) }
    #expect(throws: ChunkingError.self) { try AudioChunking(chunkSeconds: 0.005, strideSeconds: [0], samplingRate: 16000, alignment: 320) }
    #expect(throws: ChunkingError.self) { try AudioChunking(chunkLength: 640, leftStride: 0, rightStride: -320) }
    do {
      _ = try AudioChunking(chunkSeconds: 2, strideSeconds: [1.5, 0.5], samplingRate: 16000, alignment: 320)
      Issue.record("a chunk equal to its strides was accepted")
    } catch {
      #expect(error.description.contains("must be larger than the strides"), "\(error)")
    }
  }

  /// Every format written from the pipeline's word timings and parsed back.
  @Test func formatsParseBack() throws {
    let setting = LongFormFixtures.settings("stable_mask")[0]
    let words = (setting["words"] as! [[Any]]).map {
      TimedWord(word: $0[0] as! String, start: ($0[1] as! NSNumber).doubleValue, end: ($0[2] as! NSNumber).doubleValue)
    }
    let result = Transcription(path: "long.flac", text: setting["text"] as! String, words: words, duration: 21.37)

    #expect(TranscriptFormat.text.document(result) == "long.flac\t\(result.text)\n")

    let rows = TranscriptFormat.tsv.document(result).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    #expect(rows[0] == ["path", "start", "end", "text"])
    #expect(rows.count == words.count + 1)
    for (row, word) in zip(rows.dropFirst(), words) {
      #expect(row[0] == "long.flac" && String(row[3]) == word.word)
      #expect(abs(Double(row[1])! - word.start) < 5e-4 && abs(Double(row[2])! - word.end) < 5e-4)
    }
    var plain = result
    plain.words = nil
    #expect(TranscriptFormat.tsv.records(plain) == "long.flac\t0.000\t21.370\t\(result.text)\n")

    let lines = TranscriptFormat.json.document(result).split(separator: "\n")
    #expect(lines.count == 1)
    let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
    #expect(object["path"] as? String == "long.flac" && object["text"] as? String == result.text)
    let parsedWords = (object["words"] as! [[String: Any]]).map {
      TimedWord(word: $0["word"] as! String, start: ($0["start"] as! NSNumber).doubleValue, end: ($0["end"] as! NSNumber).doubleValue)
    }
    #expect(parsedWords == words)
    let withoutWords = try JSONSerialization.jsonObject(with: Data(TranscriptFormat.json.records(plain).utf8)) as! [String: Any]
    #expect(withoutWords["words"] == nil)

    let cues = TranscriptFormat.cues(words)
    #expect(cues.allSatisfy { $0.word.count <= TranscriptFormat.maximumCueCharacters })
    #expect(cues.map(\.word).joined(separator: " ") == words.map(\.word).joined(separator: " "))
    for (format, separator) in [(TranscriptFormat.srt, ","), (.vtt, ".")] {
      var document = format.document(result)
      if format == .vtt {
        #expect(document.hasPrefix("WEBVTT\n\n"))
        document.removeFirst("WEBVTT\n\n".count)
      }
      let blocks = document.components(separatedBy: "\n\n").filter { !$0.isEmpty }
      #expect(blocks.count == cues.count)
      for (index, (block, cue)) in zip(blocks, cues).enumerated() {
        var lines = block.split(separator: "\n").map(String.init)
        if format == .srt { #expect(lines.removeFirst() == "\(index + 1)") }
        let times = lines[0].components(separatedBy: " --> ")
        #expect(times.count == 2)
        let parsed = times.compactMap { Self.parseTimestamp($0, separator: separator) }
        #expect(parsed.count == 2 && abs(parsed[0] - cue.start) < 5e-4 && abs(parsed[1] - cue.end) < 5e-4, "\(lines[0]) for \(cue)")
        #expect(lines[1] == cue.word)
      }
    }
    #expect(TranscriptFormat.timestamp(3723.4567, separator: ",") == "01:02:03,457")
    #expect(TranscriptFormat.timestamp(0.02, separator: ".") == "00:00:00.020")
  }

  /// `HH:MM:SS<sep>mmm` to seconds, nil when malformed.
  static func parseTimestamp(_ text: String, separator: String) -> Double? {
    let parts = text.components(separatedBy: separator)
    guard parts.count == 2, parts[1].count == 3, let millis = Int(parts[1]) else { return nil }
    let clock = parts[0].split(separator: ":").compactMap { Int($0) }
    guard clock.count == 3, parts[0].count == 8, clock[1] < 60, clock[2] < 60 else { return nil }
    return Double(clock[0] * 3600 + clock[1] * 60 + clock[2]) + Double(millis) / 1000
  }
}
