import Foundation
import Testing

/// `asrc transcribe` with chunking, word timings and output formats, against the pipeline's
/// results in Tests/Fixtures/longform (tools/make_longform_reference.py).
@Suite struct TranscribeLongFormCLITests {
  static let longform = CLITests.fixtures.deletingLastPathComponent().appendingPathComponent("longform")
  let cli = CLITests()

  func expected(_ model: String, setting index: Int) throws -> [String: Any] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.longform.appendingPathComponent("expected.json"))) as! [String: Any]
    return (((json["models"] as! [String: Any])[model] as! [String: Any])["settings"] as! [[String: Any]])[index]
  }

  @Test func chunkedJSONWithWordTimingsMatchesThePipeline() throws {
    let setting = try expected("stable_mask", setting: 1)  // 8 s chunks, strides 2 s left, 1 s right
    let audio = Self.longform.appendingPathComponent("long.flac").path
    let run = try cli.asrc(
      "transcribe", "--model", Self.longform.appendingPathComponent("stable_mask").path, audio, "--chunk-length-s", "8",
      "--stride-length-s", "2,1", "--timestamps", "word", "--format", "json")
    #expect(run.status == 0, "\(run.error)")
    let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
    #expect(object["path"] as? String == audio)
    #expect(object["text"] as? String == setting["text"] as? String)
    let words = object["words"] as! [[String: Any]]
    let reference = setting["words"] as! [[Any]]
    #expect(words.map { $0["word"] as! String } == reference.map { $0[0] as! String })
    for (word, expected) in zip(words, reference) {
      #expect(abs((word["start"] as! NSNumber).doubleValue - (expected[1] as! NSNumber).doubleValue) <= 0.02)
      #expect(abs((word["end"] as! NSNumber).doubleValue - (expected[2] as! NSNumber).doubleValue) <= 0.02)
    }
  }

  @Test func subtitlesGoToOneFilePerInput() throws {
    let folder = cli.scratch()
    let audio = Self.longform.appendingPathComponent("long.flac").path
    let model = Self.longform.appendingPathComponent("group_nomask").path
    let refused = try cli.asrc("transcribe", "--model", model, audio, audio, "--format", "srt")
    #expect(refused.status != 0 && refused.error.contains("--output-dir"), "\(refused.error)")
    let run = try cli.asrc("transcribe", "--model", model, audio, "--chunk-length-s", "10", "--format", "vtt", "--output-dir", folder)
    #expect(run.status == 0, "\(run.error)")
    let vtt = try String(contentsOfFile: folder + "/long.vtt", encoding: .utf8)
    #expect(vtt.hasPrefix("WEBVTT\n\n00:00:00.000 --> "))
    let cueText = vtt.components(separatedBy: "\n\n").dropFirst().compactMap { $0.split(separator: "\n").dropFirst().first }.joined(separator: " ")
    let words = (try expected("group_nomask", setting: 0)["words"] as! [[Any]]).map { $0[0] as! String }
    #expect(cueText == words.joined(separator: " "))
  }

  @Test func impossibleChunkSettingsAreRefused() throws {
    let model = Self.longform.appendingPathComponent("group_nomask").path
    let audio = Self.longform.appendingPathComponent("long.flac").path
    for (arguments, message) in [
      (["--chunk-length-s", "2", "--stride-length-s", "1"], "must be larger than the strides"),
      (["--chunk-length-s", "2", "--stride-length-s=-1"], "must not be negative"),
      (["--chunk-length-s=-3"], "--chunk-length-s -3.0"),
      (["--stride-length-s", "1,1"], "needs a positive --chunk-length-s"),
      (["--chunk-length-s", "4", "--stride-length-s", "1,x"], "left,right"),
    ] {
      let run = try cli.asrc(["transcribe", "--model", model, audio] + arguments)
      #expect(run.status != 0 && run.error.contains(message), "\(arguments): \(run.error)")
      #expect(run.output.isEmpty, "\(arguments)")
    }
  }
}
