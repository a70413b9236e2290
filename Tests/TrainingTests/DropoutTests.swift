import Formats
import Foundation
import IR
import Models
import Runtime
import Testing
import Training

/// Dropout masks and LayerDrop against PyTorch / transformers (tools/make_dropout_reference.py).
@Suite struct DropoutTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  nonisolated(unsafe) static let expected = try! JSONSerialization.jsonObject(
    with: Data(contentsOf: fixtures.appendingPathComponent("dropout/expected.json"))) as! [String: Any]

  /// mul(x, dropout_mask(x, seed)) on a million ones: the kept fraction must be within four
  /// binomial standard errors (sqrt(p(1-p)/n), 2e-4 to 5e-4 here) of 1 - p and of the fraction
  /// torch.nn.functional.dropout kept, and every kept value must be exactly the float32 that
  /// PyTorch writes (1/(1-p) rounded), every dropped one 0. Measured: within 1.6 SE of 1 - p.
  @Test(arguments: ["0.05", "0.1", "0.3", "0.5", "0.9"])
  func dropoutKeepsTheFractionAndScale(_ key: String) throws {
    let facts = (Self.expected["dropout"] as! [String: [String: Any]])[key]!
    let p = facts["p"] as! Double
    let n = facts["n"] as! Int
    let graph = try Parser.parseAndVerify("""
      graph @dropout {
        input %x: f32[N]
        input %seed: i64[]
        %mask = dropout_mask(%x, %seed) {p = \(p), stream = 3} : f32[N]
        %y = mul(%x, %mask) : f32[N]
        output y = %y
      }
      """)
    let ones = Tensor([Float](repeating: 1, count: n), shape: [n])
    let run = { (seed: Int64) in try Interpreter().run(graph, inputs: ["x": ones, "seed": .scalar(seed)], parameters: [:])["y"]!.floats }
    let y = try run(7)
    let kept = y.filter { $0 != 0 }
    let fraction = Double(kept.count) / Double(n)
    let standardError = (p * (1 - p) / Double(n)).squareRoot()
    let torchFraction = facts["kept_fraction"] as! Double
    #expect(abs(fraction - (1 - p)) <= 4 * standardError, "p \(p): kept \(fraction), expected \(1 - p) ± \(4 * standardError)")
    #expect(abs(fraction - torchFraction) <= 4 * standardError * 2.0.squareRoot(), "p \(p): kept \(fraction), PyTorch kept \(torchFraction)")
    let torchKept = (facts["kept_values"] as! [Double]).map { Float($0) }
    #expect(Set(kept) == Set(torchKept), "p \(p): kept values \(Set(kept)), PyTorch \(torchKept)")
    #expect(y.allSatisfy { $0 == 0 || $0 == torchKept[0] })
    // Deterministic in the seed, different across seeds.
    #expect(try run(7) == y)
    #expect(try run(8) != y)
    print(String(format: "dropout p %.2f: kept %.6f (%.2f standard errors from 1 - p; PyTorch kept %.6f), scale %.9g", p, fraction, abs(fraction - (1 - p)) / standardError, torchFraction, Double(torchKept[0])))
  }

  /// LayerDrop's per-layer skip decisions as the Trainer draws them, over 4000 steps: each
  /// layer's kept fraction and the distribution of the number of layers run must be within four
  /// standard errors (binomial, both sample sizes) of what transformers' encoder did in train()
  /// mode (forward pre-hooks counting calls). Measured: within 2 SE.
  @Test func layerDropSkipsLayersAsTransformers() {
    let facts = Self.expected["layerdrop"] as! [String: Any]
    let (layers, probability, referenceDraws) = (facts["layers"] as! Int, facts["layerdrop"] as! Double, Double(facts["draws"] as! Int))
    let train = facts["train"] as! [String: [Double]]
    let draws = 4000
    var ran = [Int](repeating: 0, count: layers)
    var histogram = [Int](repeating: 0, count: layers + 1)
    for step in 0..<draws {
      var random = SeededRandom(seed: 42 &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(step))
      _ = random.next()  // the dropout seed the Trainer draws first
      let keep = LayerDrop.keep(layers: layers, probability: probability, random: &random)
      for (layer, kept) in keep.enumerated() where kept { ran[layer] += 1 }
      histogram[keep.filter { $0 }.count] += 1
    }
    var worst = 0.0
    func compare(_ what: String, _ ours: Double, _ theirs: Double) {
      let standardError = (ours * (1 - ours) / Double(draws) + theirs * (1 - theirs) / referenceDraws).squareRoot()
      let z = standardError == 0 ? (ours == theirs ? 0 : .infinity) : abs(ours - theirs) / standardError
      worst = max(worst, z)
      #expect(z <= 4, "\(what): \(ours), transformers \(theirs) (\(z) standard errors)")
    }
    for layer in 0..<layers { compare("layer \(layer) ran", Double(ran[layer]) / Double(draws), train["layer_ran_fraction"]![layer]) }
    for count in 0...layers { compare("\(count) layers ran", Double(histogram[count]) / Double(draws), train["layers_ran_histogram"]![count]) }
    print(String(format: "LayerDrop %.2f: largest deviation from transformers %.2f standard errors", probability, worst))
  }

  /// A skipped layer is skipped whole (its input passes through unchanged), and evaluation never
  /// skips: transformers ran every layer on every eval() pass (fixture), and asrc's evaluation
  /// graph has no layer_keep input. The training graph of a 2-layer model with layer 0 skipped
  /// gives the logits of the 1-layer model made of layer 1.
  @Test func skippedLayerPassesItsInputThrough() throws {
    let eval = (Self.expected["layerdrop"] as! [String: Any])["eval"] as! [String: [Double]]
    #expect(eval["layer_ran_fraction"]!.allSatisfy { $0 == 1 })
    var config = try Wav2Vec2ConfigFile.read(Self.fixtures.appendingPathComponent("init/group_postln/config.json").path).configuration
    (config.hiddenDropout, config.activationDropout, config.attentionDropout, config.featProjDropout, config.finalDropout) = (0, 0, 0, 0, 0)
    config.maskTimeProb = 0
    config.layerdrop = 0.5
    #expect(config.numHiddenLayers == 2)
    let training = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: false, training: true))
    let evaluation = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: false))
    #expect(training.input(named: "layer_keep") != nil)
    #expect(evaluation.input(named: "layer_keep") == nil)
    let weights = Initializer.weights(for: evaluation, config: config, seed: 3)
    var single = config
    single.numHiddenLayers = 1
    let oneLayer = try Wav2Vec2Graph.build(single, options: .init(usesAttentionMask: false))
    var renamed: [String: Tensor] = [:]
    for (name, tensor) in weights where !name.contains("encoder.layers.0.") {
      renamed[name.replacingOccurrences(of: "encoder.layers.1.", with: "encoder.layers.0.")] = tensor
    }
    var random = SeededRandom(seed: 5)
    let samples = 4000
    let audio = Tensor((0..<samples).map { _ in Float(random.normal()) }, shape: [1, samples])
    let labels = Tensor([Int64(1), 2, 3], shape: [1, 3])
    var inputs = ["input_values": audio, "labels": labels, "layer_keep": Tensor([false, true], shape: [2])]
    if training.input(named: "dropout_seed") != nil { inputs["dropout_seed"] = .scalar(Int64(1)) }
    let skipped = try Interpreter().run(training, inputs: inputs, parameters: weights)["logits"]!.floats
    let reference = try Interpreter().run(oneLayer, inputs: ["input_values": audio, "labels": labels], parameters: renamed)["logits"]!.floats
    #expect(skipped == reference, "layer 0 skipped differs from the model without it")
    inputs["layer_keep"] = Tensor([true, true], shape: [2])
    let kept = try Interpreter().run(training, inputs: inputs, parameters: weights)["logits"]!.floats
    let full = try Interpreter().run(evaluation, inputs: ["input_values": audio, "labels": labels], parameters: weights)["logits"]!.floats
    #expect(kept == full, "the training graph with every layer kept and no dropout differs from the evaluation graph")
    #expect(kept != skipped)
  }
}
