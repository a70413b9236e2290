import ArgumentParser
import CRuntime
import Data
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime

struct Grad: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the gradients of the CTC loss for one utterance, keyed by Hugging Face parameter names.",
    discussion: "The loss uses the model's configured reduction. The transcript is normalised and tokenized as for training. A debugging interface: compare with PyTorch autograd on the same weights.")

  @Option(help: "The model folder.") var model: String
  @Option(help: "The audio file.") var audio: String
  @Option(help: "The transcript.") var text: String
  @Option(name: .shortAndLong, help: "The .safetensors file to write.") var output: String
  @Flag(help: "No gradients for the convolutional feature encoder (freeze_feature_encoder).") var freezeFeatureEncoder = false
  @Option(help: ArgumentHelp("No gradients for this parameter or module, by its state-dict name (as asrc train); repeatable.", valueName: "NAME"))
  var freezeParam: [String] = []
  @Option(help: "Also write the backward graph's IR here.") var dumpIR: String?
  @Option(
    help: ArgumentHelp(
      "Also print a precision report: every node against the same graph run in f64 (widen-to-f64), the N nodes that add the most error, and the outputs.",
      valueName: "N"))
  var precisionReport: Int?
  @OptionGroup var backendOption: BackendOption
  @OptionGroup var checkpointOptions: CheckpointOptions
  @OptionGroup var precisionOption: PrecisionOption

  func validate() throws {
    if freezeParam.contains(where: \.isEmpty) { throw ValidationError(FrozenParameters.emptyNameProblem) }
  }

  func run() throws {
    try reportingFailures {
      try IRFile.checkWritable(output)
      if let dumpIR { try IRFile.checkWritable(dumpIR) }
      let recognizer = try loadRecognizer(model, backend: backendOption.backend)
      let directory = recognizer.model
      let frozen = FrozenParameters(featureEncoder: freezeFeatureEncoder, prefixes: freezeParam)
      if let problem = frozen.problem(parameterNames: directory.graph.parameters.map { directory.graph.name(of: $0) }) { throw CommandFailure("\(model): \(problem)") }
      let samples = try recognizer.loadAudio(audio)
      let normalized = TextNormalizer().normalize(text, vocabulary: directory.tokenizer.characterSet)
      let (ids, unknown) = directory.tokenizer.encode(normalized)
      if !unknown.isEmpty {
        throw CommandFailure("the transcript has characters outside the vocabulary: \(Set(unknown).sorted().map { "'\($0)'" }.joined(separator: ", "))")
      }
      let precision = precisionOption.lowPrecision(noting: backendOption.backend)
      // f16 gradients need loss scaling: the backward starts from loss × loss_scale.
      let scaled = precision == .fp16
      let pass = autodiff(loss: scaled ? "scaled_loss" : "loss", trainable: frozen.trainable)
      var (graph, _) = try PassManager(passes: (scaled ? [scaleLoss] : []) + [pass] + (precision.map { [mixedPrecision($0)] } ?? [])).run(directory.graph)
      if let strategy = checkpointOptions.strategy {
        // Planned for this utterance: one row of its length.
        let bindings = ["B": 1, "S": samples.count, "L": max(1, ids.count)]
        let checkpointed = try PassManager(passes: Pipelines.passes(Pipelines.checkpointing(strategy), bindings: bindings)).run(graph).graph
        note(try CheckpointReport(before: graph, after: checkpointed, bindings: bindings).summary)
        graph = checkpointed
      }
      if let dumpIR { try IRFile.write(Printer.print(graph), to: dumpIR) }
      let batch = recognizer.extractor.batch([samples])
      var inputs = ["input_values": batch.inputValues, "labels": Tensor(ids.map(Int64.init), shape: [1, ids.count])]
      if let mask = batch.attentionMask, graph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
      var outputs: [String: Tensor] = [:]
      var gradients: [String: Tensor] = [:]
      // As GradScaler's first steps: from 65536, halved while a gradient overflows f16.
      var scale: Float = scaled ? 65536 : 1
      while true {
        if scaled { inputs["loss_scale"] = Tensor([scale], shape: []) }
        outputs = try backendOption.backend.executor.run(graph, inputs: inputs, parameters: directory.weights)
        gradients = [:]
        for (name, tensor) in outputs where name.hasPrefix("grad.") { gradients[String(name.dropFirst(5))] = tensor }
        guard scaled, scale > 1, gradients.values.contains(where: { !$0.floats.allSatisfy(\.isFinite) }) else { break }
        scale /= 2
      }
      if scaled {
        gradients = gradients.mapValues { Tensor($0.floats.map { $0 / scale }, shape: $0.shape) }
        note("fp16 loss scale \(scale) (from 65536, halved while a gradient overflowed); the gradients written are divided by it")
      }
      if let precisionReport {
        guard precisionReport > 0 else { throw CommandFailure("--precision-report takes a positive number of nodes, not \(precisionReport)") }
        let reference = try PassManager(passes: [widenToF64]).run(graph).graph
        let report = try PrecisionReport.measure(graph, reference: reference, inputs: inputs, parameters: directory.weights)
        print(report.table(worst: precisionReport, outputs: graph.outputs))
      }
      try Safetensors.write(gradients, metadata: ["loss": "\(outputs["loss"]!.floats[0])", "text": normalized], to: output)
      print("loss \(outputs["loss"]!.floats[0]) (\(directory.configuration.ctcLossReduction)); wrote \(gradients.count) gradients to \(output); backward graph \(graph.allNodes.count) nodes")
    }
  }
}
