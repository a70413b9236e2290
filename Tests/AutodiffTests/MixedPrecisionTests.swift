import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The mixed-precision pass on the fixture models against f32, on the interpreter: the loss
/// within 1e-2 relative, every gradient with cosine similarity ≥ 0.99 (the attention key biases,
/// zero in exact arithmetic, excepted), logits with cosine similarity ≥ 0.999. fp16 runs with a
/// loss scale of 65536, as GradScaler starts, and its gradients divided back.
@Suite struct MixedPrecisionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]

  static func cosine(_ a: [Double], _ b: [Double]) -> Double {
    var (dot, na, nb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
      dot += x * y
      na += x * x
      nb += y * y
    }
    return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : (na == nb ? 1 : 0)
  }

  @Test(arguments: models, LowPrecision.allCases)
  func lossGradientsAndLogitsFollowF32(_ model: String, _ precision: LowPrecision) throws {
    let directory = try ModelDirectory.load(Self.root.appendingPathComponent(model).path)
    let recognizer = try Recognizer(model: directory)
    let clip = try recognizer.loadAudio(Self.root.appendingPathComponent("audio/a.wav").path)
    let batch = recognizer.extractor.batch([clip])
    let reference = try PassManager(passes: [autodiff()]).run(directory.graph).graph
    let low = try PassManager(passes: [scaleLoss, autodiff(loss: "scaled_loss"), mixedPrecision(precision)] + PassRegistry.pipeline(PassRegistry.cleanupPipeline))
      .run(directory.graph).graph
    #expect(low.allNodes.contains { $0.op == .cast && low.type(of: $0.result).dtype == precision.dtype })
    var inputs = try CleanupPipelineTests().inputs(for: reference, audio: batch.inputValues, attentionMask: batch.attentionMask)
    let expected = try Interpreter().run(reference, inputs: inputs, parameters: directory.weights)
    // fp16: GradScaler's first steps, halving from 65536 until no gradient overflows.
    var scale = precision == .fp16 ? 65536.0 : 1.0
    var actual: [String: Tensor] = [:]
    while true {
      inputs["loss_scale"] = Tensor([Float(scale)], shape: [])
      actual = try Interpreter().run(low, inputs: inputs, parameters: directory.weights)
      let finite = actual.filter { $0.key.hasPrefix("grad.") }.values.allSatisfy { $0.doubles.allSatisfy(\.isFinite) }
      if finite || scale < 1 { break }
      scale /= 2
    }

    let (loss, lowLoss) = (expected["loss"]!.doubles[0], actual["loss"]!.doubles[0])
    let lossError = abs(lowLoss - loss) / abs(loss)
    let logitsCosine = Self.cosine(actual["logits"]!.doubles, expected["logits"]!.doubles)
    var worstGradient = (1.0, "")
    for (name, gradient) in expected where name.hasPrefix("grad.") && !name.hasSuffix("k_proj.bias") {
      let similarity = Self.cosine(try #require(actual[name]).doubles.map { $0 / scale }, gradient.doubles)
      if similarity < worstGradient.0 { worstGradient = (similarity, name) }
    }
    print("mixed precision \(precision) on \(model) (loss scale \(scale)): loss relative error \(lossError), logits cosine \(logitsCosine), worst gradient cosine \(worstGradient.0) (\(worstGradient.1))")
    #expect(lossError <= 1e-2)
    #expect(logitsCosine >= 0.999)
    #expect(worstGradient.0 >= 0.99, "\(worstGradient.1)")
  }

  /// A cast that widens and is narrowed straight back folds away; the other order rounds and stays.
  @Test func castPairsThatCancelFold() throws {
    let graph = try Parser.parseAndVerify("""
      graph @g {
        input %x: bf16[4]
        input %y: f32[4]
        %wide = cast(%x) {to = f32} : f32[4]
        %back = cast(%wide) {to = bf16} : bf16[4]
        %narrow = cast(%y) {to = bf16} : bf16[4]
        %again = cast(%narrow) {to = f32} : f32[4]
        output a = %back
        output b = %again
      }
      """)
    let simplified = try PassManager(passes: [simplify, deadCodeElimination]).run(graph).graph
    #expect(simplified.output(named: "a") == simplified.input(named: "x"))
    #expect(simplified.nodes.count == 2)
  }
}
