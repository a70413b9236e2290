import Foundation
import IR
import Testing

@Suite struct DocumentationTests {
  /// docs/ir.md carries the op table that `asrc ops` generates; regenerate it when ops change.
  @Test func opReferenceInDocsIsCurrent() throws {
    let docs = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/ir.md"), encoding: .utf8)
    let begin = "<!-- BEGIN GENERATED OPS (asrc ops) -->\n"
    let end = "<!-- END GENERATED OPS -->"
    guard let start = docs.range(of: begin), let stop = docs.range(of: end) else {
      Issue.record("docs/ir.md lacks the generated-ops markers")
      return
    }
    #expect(String(docs[start.upperBound..<stop.lowerBound]) == OpReference.markdown(),
      "docs/ir.md is out of date: run `swift run asrc ops` and paste its output between the markers")
    for op in Op.allCases { #expect(docs.contains("| `\(op.rawValue)` |")) }
  }

  /// The example in examples/ verifies and is in normal form.
  @Test func bundledExampleVerifies() throws {
    let text = try String(contentsOfFile: examplePath("conv-block.ir"), encoding: .utf8)
    let graph = try Parser.parseAndVerify(text, file: "conv-block.ir")
    #expect(graph.output(named: "features") != nil)
    #expect(Printer.print(graph).contains("f32[B, 512, (S - 10) / 5 + 1]"))
  }
}
