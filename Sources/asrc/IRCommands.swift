import ArgumentParser
import Foundation
import IR

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Parse and verify an IR file; report every error with its line and column.")

  @Argument(help: "The .ir file.") var file: String

  func run() throws {
    try reportingFailures {
      let graph = try IRFile.load(file)
      print("\(file): ok (\(graph.allNodes.count) nodes, \(graph.inputs.count) inputs, \(graph.parameters.count) parameters, \(graph.outputs.count) outputs)")
    }
  }
}

struct Print: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print an IR file in normalised form.")

  @Argument(help: "The .ir file.") var file: String
  @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

  func run() throws {
    try reportingFailures {
      let text = Printer.print(try IRFile.load(file))
      if let output { try IRFile.write(text, to: output) } else { print(text, terminator: "") }
    }
  }
}

struct Dot: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Draw an IR file as a Graphviz graph.")

  @Argument(help: "The .ir file.") var file: String
  @Option(name: .shortAndLong, help: "The .dot file to write.") var output: String
  @Flag(help: "Also render an .svg beside the .dot with Graphviz's `dot`, when it is installed.") var svg = false

  func run() throws {
    try reportingFailures {
      let graph = try IRFile.load(file)
      try IRFile.write(DotWriter.dot(graph), to: output)
      guard svg else { return }
      let svgPath = (output.hasSuffix(".dot") ? String(output.dropLast(4)) : output) + ".svg"
      try renderSVG(dotFile: output, to: svgPath)
      print("wrote \(output) and \(svgPath)")
    }
  }

  private func renderSVG(dotFile: String, to svgPath: String) throws(CommandFailure) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["dot", "-Tsvg", dotFile, "-o", svgPath]
    let errors = Pipe()
    process.standardError = errors
    do { try process.run() } catch { throw CommandFailure("cannot run Graphviz's dot: \(error.localizedDescription)") }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let detail = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      if process.terminationStatus == 127 {
        throw CommandFailure("wrote \(dotFile), but Graphviz's dot is not installed (apt-get install graphviz) to render \(svgPath)")
      }
      throw CommandFailure("dot failed to render \(svgPath): \(detail)")
    }
  }
}

struct Ops: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List every IR op with its operands, attributes and type rule (Markdown).")

  func run() throws { print(OpReference.markdown(), terminator: "") }
}
