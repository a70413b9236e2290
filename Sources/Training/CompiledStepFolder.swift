import CRuntime
import Formats
import Foundation
import IR
import Models
import Tensor

/// A training step `asrc compile MODEL_DIR --training -o STEP_DIR` wrote: `compiled.ir` (the
/// graph after the training pipeline), `training_step.json` (the spec it was built from),
/// `model.c` and `libmodel.so` (the C backend's build of it). `asrc train --compiled STEP_DIR`
/// trains on that library after checking that it fits the model folder and the run's options.
public struct CompiledStepFolder {
  public static let specFile = "training_step.json"

  public let path: String
  public let spec: TrainingStepSpec
  public let graph: Graph

  /// Reads the folder; every missing or malformed file is an error that names it.
  public init(path: String) throws {
    self.path = path
    let folder = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw TrainingError.compiledStep(path, "no such folder (asrc compile MODEL_DIR --training -o \(path) writes it)")
    }
    let specPath = folder.appendingPathComponent(Self.specFile).path
    guard let data = FileManager.default.contents(atPath: specPath) else {
      throw TrainingError.compiledStep(
        path, "it has no \(Self.specFile): it was not compiled from a model folder with --training (asrc compile MODEL_DIR --training -o \(path))")
    }
    guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw TrainingError.compiledStep(specPath, "not a JSON object")
    }
    spec = try TrainingStepSpec(json: json, path: specPath)
    for name in ["compiled.ir", "model.c", "libmodel.so"] where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
      throw TrainingError.compiledStep(path, "it has no \(name) (compile it with the C backend, the default)")
    }
    let irPath = folder.appendingPathComponent("compiled.ir").path
    guard let text = try? String(contentsOfFile: irPath, encoding: .utf8) else { throw TrainingError.compiledStep(irPath, "cannot read it as UTF-8 text") }
    do {
      graph = try Parser.parseAndVerify(text, file: irPath)
    } catch {
      throw TrainingError.compiledStep(irPath, "\(error)")
    }
  }

  /// Writes `spec` into a compiled folder (through a temporary file, so a failure leaves none).
  public static func write(_ spec: TrainingStepSpec, to folder: String) throws {
    let data = try JSONSerialization.data(withJSONObject: spec.json, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(specFile), options: .atomic)
  }

  /// Checks that this step is the one `expected` describes and that every parameter it reads
  /// is in `weights` with its shape; the error lists every difference.
  public func check(fits expected: TrainingStepSpec, weights: [String: Tensor]) throws {
    var problems = spec.differences(from: expected)
    for parameter in graph.parameters {
      let name = graph.name(of: parameter)
      let shape = graph.type(of: parameter).shape.compactMap(\.constantValue)
      guard let tensor = weights[name] else {
        // The trainer initialises this one as transformers does when a folder lacks it.
        if name != "wav2vec2.masked_spec_embed" { problems.append("parameter \(name) is not in the model folder's weights") }
        continue
      }
      if tensor.shape != shape { problems.append("parameter \(name): compiled for shape \(shape), the model folder has \(tensor.shape)") }
    }
    guard problems.isEmpty else {
      throw TrainingError.compiledStep(
        path, "it does not fit the model folder and this run's options:\n  " + problems.joined(separator: "\n  ") + "\ncompile the step again for this model and these options")
    }
  }

  /// The folder's library, loaded (its model.c must be what this asrc emits for compiled.ir).
  public func model() throws -> CompiledModel {
    do {
      return try CompiledModel(graph: graph, compiledFolder: URL(fileURLWithPath: path))
    } catch {
      throw TrainingError.compiledStep(path, "\(error)")
    }
  }
}
