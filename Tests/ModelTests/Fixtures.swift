import Foundation

/// The reference fixtures made by tools/make_reference.py from transformers.
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reference")

  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static func expected(_ model: String) throws -> [String: Any] {
    let data = try Data(contentsOf: root.appendingPathComponent("\(model)/expected.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }
}

/// max |a - b| over max |b|, for the logits tolerance.
func relativeMaxDifference(_ actual: [Float], _ expected: [Float]) -> Float {
  precondition(actual.count == expected.count, "sizes differ: \(actual.count) vs \(expected.count)")
  var difference: Float = 0
  var scale: Float = 0
  for (a, b) in zip(actual, expected) {
    difference = max(difference, abs(a - b))
    scale = max(scale, abs(b))
  }
  return difference / max(scale, 1e-30)
}
