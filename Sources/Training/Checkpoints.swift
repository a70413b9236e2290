import Foundation
import Formats
import Tensor

/// Checkpoint folders `checkpoint-STEP/` in the output folder: the model as a Hugging Face
/// folder (plus model.ir), `optimizer.safetensors` (AdamW moments), `scheduler.json`,
/// `trainer_state.json` and `training_args.json`.
///
/// A checkpoint is written into `checkpoint-STEP.partial` and renamed into place only when every
/// file is complete, so a process killed mid-save leaves a `.partial` folder (removed on the
/// next start), never a checkpoint that looks complete but is not.
public enum Checkpoints {
  public static func save(
    step: Int, model: ModelDirectory, optimizer: AdamW, state: TrainerState, arguments: TrainingArguments, schedule: LearningRateSchedule,
    in folder: String
  ) throws -> String {
    let final = folder + "/checkpoint-\(step)"
    let partial = final + ".partial"
    let manager = FileManager.default
    try? manager.removeItem(atPath: partial)
    try manager.createDirectory(atPath: partial, withIntermediateDirectories: true)
    try model.save(to: partial)
    try writeOptimizer(optimizer, to: partial + "/optimizer.safetensors")
    try writeJSON(
      ["kind": schedule.kind.rawValue, "base_rate": schedule.baseRate, "warmup_steps": schedule.warmupSteps, "total_steps": schedule.totalSteps,
       "scheduler_steps": state.schedulerSteps, "last_lr": schedule.rate(at: state.schedulerSteps)],
      to: partial + "/scheduler.json")
    try writeJSON(state.json, to: partial + "/trainer_state.json")
    try writeJSON(try JSONSerialization.jsonObject(with: JSONEncoder().encode(arguments)), to: partial + "/training_args.json")
    if manager.fileExists(atPath: final) { try manager.removeItem(atPath: final) }
    try manager.moveItem(atPath: partial, toPath: final)
    return final
  }

  /// Deletes the oldest checkpoints beyond `limit` (by step), among `eligible` ones. The
  /// `sparing` checkpoint (the best) is kept and counts as the newest, as the Trainer's
  /// sort_checkpoints moves it; with a limit of 1 the newest stays beside it, so that the run
  /// can still be resumed.
  public static func rotate(in folder: String, keep limit: Int, among eligible: Set<String>? = nil, sparing best: String? = nil) throws -> [String] {
    guard limit > 0 else { return [] }
    var existing = list(in: folder).filter { eligible?.contains($0.path) ?? true }
    var keep = limit
    if let best, let index = existing.firstIndex(where: { $0.path == best }) {
      let entry = existing.remove(at: index)
      existing.append(entry)
      if limit == 1 && index != existing.count - 1 { keep = 2 }
    }
    var removed: [String] = []
    for (_, path) in existing.dropLast(keep) {
      try FileManager.default.removeItem(atPath: path)
      removed.append(path)
    }
    return removed
  }

  /// Complete checkpoints by step, oldest first; stale `.partial` folders are removed.
  public static func list(in folder: String) -> [(step: Int, path: String)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    for name in names where name.hasPrefix("checkpoint-") && name.hasSuffix(".partial") {
      try? FileManager.default.removeItem(atPath: folder + "/" + name)
    }
    return names.compactMap { name -> (Int, String)? in
      guard name.hasPrefix("checkpoint-"), let step = Int(name.dropFirst("checkpoint-".count)) else { return nil }
      return (step, folder + "/" + name)
    }.sorted { $0.0 < $1.0 }
  }

  public struct Loaded {
    public var model: ModelDirectory
    public var optimizer: AdamW
    public var state: TrainerState
  }

  public static func load(_ path: String, optimizer template: AdamW) throws -> Loaded {
    let missing = ["trainer_state.json", "optimizer.safetensors"].filter { !FileManager.default.fileExists(atPath: path + "/" + $0) }
    if !missing.isEmpty {
      let isModel = FileManager.default.fileExists(atPath: path + "/config.json")
      throw FormatError(
        path,
        isModel
          ? "a model folder, not a checkpoint (it has no \(missing.joined(separator: " or "))); to train on from its weights, pass it as --model"
          : "not a checkpoint: no \(missing.joined(separator: " or "))")
    }
    let model = try ModelDirectory.load(path)
    let stateJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/trainer_state.json"))) as? [String: Any] ?? [:]
    let state = TrainerState(json: stateJSON)
    var optimizer = template
    let moments = try Safetensors.read(path + "/optimizer.safetensors")
    var first: [String: [Float]] = [:]
    var second: [String: [Float]] = [:]
    for (key, tensor) in moments {
      if key.hasPrefix("exp_avg_sq.") { second[String(key.dropFirst("exp_avg_sq.".count))] = tensor.floats }
      else if key.hasPrefix("exp_avg.") { first[String(key.dropFirst("exp_avg.".count))] = tensor.floats }
    }
    let step = Int((moments["step"]?.floats.first).map(Double.init) ?? Double(state.schedulerSteps))
    optimizer.restore(step: step, first: first, second: second)
    return Loaded(model: model, optimizer: optimizer, state: state)
  }

  static func writeOptimizer(_ optimizer: AdamW, to path: String) throws {
    var tensors: [String: Tensor] = ["step": Tensor([Float(optimizer.step)], shape: [1])]
    for (name, values) in optimizer.firstMoments { tensors["exp_avg.\(name)"] = Tensor(values, shape: [values.count]) }
    for (name, values) in optimizer.secondMoments { tensors["exp_avg_sq.\(name)"] = Tensor(values, shape: [values.count]) }
    try Safetensors.write(tensors, to: path)
  }

  static func writeJSON(_ object: Any, to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}
