import Formats
import Foundation

/// The fixtures of tools/make_lm_reference.py: KenLM's scores, pyctcdecode's transcripts and the
/// demo model's logits.
enum LanguageModelFixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/lm")

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  // Read once and never changed, so sharing it between concurrently running tests is safe.
  nonisolated(unsafe) static let expected: [String: Any] = {
    let data = try! Data(contentsOf: root.appendingPathComponent("expected.json"))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }()

  static var files: [[String: Any]] { expected["files"] as! [[String: Any]] }
  static var settings: [[String: Any]] { expected["settings"] as! [[String: Any]] }
  static var settingNames: [String] { settings.map { $0["name"] as! String } }
  static var decoderLabels: [String] { expected["decoder_labels"] as! [String] }

  static func results(_ setting: String) -> [[String: Any]] { (expected["results"] as! [String: Any])[setting] as! [[String: Any]] }

  static func setting(_ name: String) -> [String: Any] { settings.first { $0["name"] as! String == name }! }

  /// One file's float32 logits, row-major [frames, classes].
  static func logits(_ name: String) throws -> [Float] { try NumPy.read(path("logits/\(name).npy")).floats }
}

/// Word errors as jiwer counts them: the Levenshtein distance between the word sequences.
func wordErrors(_ hypothesis: String, _ reference: String) -> Int {
  let (h, r) = (hypothesis.split(separator: " "), reference.split(separator: " "))
  var row = Array(0...r.count)
  for i in h.indices {
    var previous = row[0]
    row[0] = i + 1
    for j in r.indices {
      let current = row[j + 1]
      row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (h[i] == r[j] ? 0 : 1))
      previous = current
    }
  }
  return row[r.count]
}

/// Word error rate of hypotheses against references.
func wordErrorRate(_ hypotheses: [String], _ references: [String]) -> Double {
  Double(zip(hypotheses, references).map { wordErrors($0, $1) }.reduce(0, +)) / Double(references.map { $0.split(separator: " ").count }.reduce(0, +))
}
