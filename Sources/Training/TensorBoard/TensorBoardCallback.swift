import Foundation
import Formats

/// transformers' TensorBoardCallback (`report_to="tensorboard"`): at the start of training the
/// arguments and the model's configuration as texts, then every logged entry's values as scalars
/// at the entry's step, named by the callback's `rewrite_logs` (`eval_loss` → `eval/loss`, `loss`
/// → `train/loss`).
///
/// Every run's file begins with a SessionLog START at the first step the run can log: 0 for a
/// new run, the checkpoint's step + 1 for a resumed one, which writes a new file in the folder of
/// the run it continues. That run may have logged steps past its last checkpoint before it was
/// killed, and the resumed run logs them again; TensorBoard's Python readers drop every event
/// read before a START at or past its step (the web server's reader from the second START of a
/// run on, so new runs write one too), and its Rust data server keeps the later of two values at
/// one step of a series.
final class TensorBoardCallback {
  let writer: EventFileWriter

  /// - Parameters:
  ///   - resumedAt: the step of the checkpoint the run continues from (0 for a new run).
  ///   - texts: add_text's name and text pairs the callback writes when a run begins.
  init(folder: String, resumedAt step: Int, texts: [(name: String, text: String)]) throws(FormatError) {
    let earlier = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains { $0.hasPrefix("events.out.tfevents.") }
    writer = try EventFileWriter(folder: folder)
    // Before the texts: a START at step 0 drops what was read before it at step 0 and later.
    try writer.write(.sessionStart, step: step == 0 ? 0 : step + 1)
    // The folder already has them when the run it continues wrote there.
    if step == 0 || !earlier {
      for (name, text) in texts { try writer.write(.text(tag: name + "/text_summary", text: text), step: 0) }
    }
  }

  /// An entry of trainer_state.json's log_history; its `step` is the step of every value.
  func log(_ entry: [String: Double]) throws(FormatError) {
    let step = Int(entry["step"] ?? 0)
    for key in Self.order(entry.keys.filter { $0 != "step" }) {
      try writer.write(.scalar(tag: Self.tag(key), value: Float(entry[key]!)), step: step)
    }
  }

  /// rewrite_logs: `eval_` and `test_` become `eval/` and `test/`, anything else gets `train/`.
  static func tag(_ key: String) -> String {
    for prefix in ["eval", "test"] where key.hasPrefix(prefix + "_") { return prefix + "/" + key.dropFirst(prefix.count + 1) }
    return "train/" + key
  }

  /// The order the Trainer's log dictionaries have (loss, grad_norm, learning_rate; eval_loss and
  /// the metrics), any other key by name, and epoch last as Trainer.log adds it.
  static func order(_ keys: [String]) -> [String] {
    let known = ["loss", "grad_norm", "learning_rate", "eval_loss", "eval_wer", "eval_cer", "eval_runtime"]
    let rest = keys.filter { !known.contains($0) && $0 != "epoch" }.sorted()
    return known.filter(keys.contains) + rest + (keys.contains("epoch") ? ["epoch"] : [])
  }

  /// transformers' default logging folder: `runs/<Mon><DD>_<HH>-<MM>-<SS>_<host>` (local time,
  /// English month abbreviations, as `default_logdir()`) in the output folder.
  static func defaultFolder(outputDir: String, date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "MMMdd_HH-mm-ss"
    return outputDir + "/runs/" + formatter.string(from: date) + "_" + EventFileWriter.hostName
  }
}
