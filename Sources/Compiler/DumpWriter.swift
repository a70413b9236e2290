import Dispatch
import Foundation
import IR

/// Writes a compile's dump folder: `NN-PASS.ir` and `NN-PASS.dot` for every stage (00 is the
/// input), `NN-PASS.svg` when Graphviz is installed, and `index.html` (``DumpPage``).
public struct DumpWriter: Sendable {
  public let folder: String

  public init(folder: String) { self.folder = folder }

  public func path(_ stage: CompileStage, _ suffix: String) -> String { folder + "/" + stage.fileStem + "." + suffix }

  /// The stage's IR text and drawing, written as soon as the stage exists (so a later failing
  /// pass still leaves the stages before it to look at).
  public func write(_ stage: CompileStage) throws(CompileError) {
    try Self.write(Printer.print(stage.graph), to: path(stage, "ir"))
    try Self.write(DotWriter.dot(stage.graph), to: path(stage, "dot"))
  }

  /// Renders every stage's SVG (two at a time; quietly none when `dot` is not installed) and
  /// writes `index.html`. Returns whether SVGs were made.
  @discardableResult
  public func finish(_ stages: [CompileStage], summaries: [StageSummary], title: String) throws(CompileError) -> Bool {
    let rendered = Graphviz.executable != nil
    var svgs = [String?](repeating: nil, count: stages.count)
    var notes = [String?](repeating: nil, count: stages.count)
    if rendered {
      let failures = Locked<[String]>([])
      let results = Locked<[Int: String]>([:])
      let timedOut = Locked<[Int: Double]>([:])
      let queue = DispatchQueue(label: "asrc.dump.svg", attributes: .concurrent)
      let group = DispatchGroup()
      let slots = DispatchSemaphore(value: 2)
      for (index, stage) in stages.enumerated() {
        slots.wait()
        queue.async(group: group) {
          defer { slots.signal() }
          do {
            switch try Graphviz.renderSVG(dotFile: path(stage, "dot"), to: path(stage, "svg")) {
            case .rendered:
              let svg = try String(contentsOfFile: path(stage, "svg"), encoding: .utf8)
              results.update { $0[index] = svg }
            case .timedOut(let seconds): timedOut.update { $0[index] = seconds }
            case .notInstalled: break
            }
          } catch {
            failures.update { $0.append("\(error)") }
          }
        }
      }
      group.wait()
      if let failure = failures.value.first { throw CompileError(failure) }
      for (index, svg) in results.value { svgs[index] = svg }
      for (index, seconds) in timedOut.value {
        notes[index] = "Graphviz's dot had not laid this stage out after \(Int(seconds)) s and was stopped (ASRC_DOT_TIME_LIMIT sets the limit); \(stages[index].fileStem).dot is beside this page."
      }
    }
    var previousText = ""
    var pages: [DumpPage.Stage] = []
    for (index, stage) in stages.enumerated() {
      let text = Printer.print(stage.graph)
      let lines = LineDiff.diff(index == 0 ? [] : previousText.splitLines(), text.splitLines())
      pages.append(
        DumpPage.Stage(
          summary: summaries[index], file: stage.fileStem, text: text,
          diff: index == 0 ? "" : LineDiff.unified(lines),
          added: lines.count { $0.kind == .added }, removed: lines.count { $0.kind == .removed }, svg: svgs[index], drawingNote: notes[index]))
      previousText = text
    }
    try Self.write(DumpPage.html(title: title, stages: pages), to: folder + "/index.html")
    return rendered
  }

  static func write(_ text: String, to path: String) throws(CompileError) {
    do {
      try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CompileError("cannot write \(path): \(error.localizedDescription)")
    }
  }
}

extension String {
  /// The lines of a text, without the empty one after a final newline.
  func splitLines() -> [String] {
    var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
  }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
  private var stored: Value
  private let lock = NSLock()
  init(_ value: Value) { stored = value }
  var value: Value { lock.withLock { stored } }
  func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
