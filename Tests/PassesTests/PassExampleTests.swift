import IR
import Passes
import Testing

/// Every registered pass's documented examples, run: the Before text through the pass (with the
/// pass manager's verification) must print exactly as the After text. These are the snippets
/// docs/passes.md shows.
@Suite struct PassExampleTests {
  static let cases: [(pass: String, example: Int)] = PassRegistry.all.flatMap { pass in
    pass.examples.indices.map { (pass.name, $0) }
  }

  @Test(arguments: cases.map { "\($0.pass)#\($0.example)" })
  func exampleRewritesAsDocumented(_ id: String) throws {
    let parts = id.split(separator: "#")
    let registered = try #require(PassRegistry.pass(named: String(parts[0])))
    let example = registered.examples[Int(parts[1])!]
    let pass = try PassRegistry.pass(spec: registered.name + (example.argument.map { "=" + $0 } ?? ""))
    let graph = try Parser.parseAndVerify(example.before)
    let (after, _) = try PassManager(passes: [pass]).run(graph)
    let printed = Printer.print(after)
    #expect(printed == example.after, "\(pass.name): \(example.title)\n\(printed)")
    #expect(try Parser.parseAndVerify(printed) == Parser.parseAndVerify(example.after), "the After text parses back")
  }

  @Test func everyPassIsDocumentedWithAnExample() {
    for pass in PassRegistry.all {
      #expect(!pass.details.isEmpty, "\(pass.name) has no details")
      #expect(!pass.examples.isEmpty, "\(pass.name) has no example")
    }
  }
}
