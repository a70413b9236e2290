import IR
import Passes
import Testing

/// Each pass is tested TVM-style: a Before graph in text, the Expected graph in text.
@Suite struct PassTests {
  func run(_ pass: Pass, _ before: String) throws -> String {
    let graph = try Parser.parseAndVerify(before)
    let (after, _) = try PassManager(passes: [pass]).run(graph)
    return Printer.print(after)
  }

  @Test func deadCodeEliminationCleansRegions() throws {
    let before = """
      graph @g {
        input %x: f32[4]
        %f = fused(%x) {kind = "generic"} : f32[4] {
          ^(%a: f32[4]):
            %unused = exp(%a) : f32[4]
            %b = neg(%a) : f32[4]
            yield %b
        }
        output y = %f
      }
      """
    #expect(try !run(deadCodeElimination, before).contains("%unused"))
  }

  @Test func managerVerifiesAfterEachPassAndNamesTheCulprit() throws {
    let breaking = Pass(name: "break-types", summary: "declares a wrong type") { graph in
      var copy = graph
      copy[copy.nodes[0].result].type = TensorType(.f32, [5])
      return copy
    }
    let graph = try Parser.parseAndVerify("graph @g {\n  input %x: f32[4]\n  %y = exp(%x) : f32[4]\n  output y = %y\n}")
    #expect(throws: PassError.self) { try PassManager(passes: [deadCodeElimination, breaking]).run(graph) }
    do {
      _ = try PassManager(passes: [breaking]).run(graph)
      Issue.record("the pass manager accepted a graph that does not verify")
    } catch {
      #expect("\(error)".contains("after pass 'break-types'"))
      #expect("\(error)".contains("declared result type f32[5] differs from the inferred f32[4]"))
    }
  }

  @Test func managerReportsEveryPassAndStopsAfterTheNamedOne() throws {
    let graph = try Parser.parseAndVerify("graph @g {\n  input %x: f32[4]\n  %y = exp(%x) : f32[4]\n  %z = exp(%x) : f32[4]\n  %w = neg(%z) : f32[4]\n  output y = %y\n}")
    var manager = PassManager(passes: try PassRegistry.pipeline("cse, dce"))
    var seen: [String] = []
    let (after, records) = try manager.run(graph) { name, _, _ in seen.append(name) }
    #expect(seen == ["cse", "dce"])
    #expect(records.map(\.nodesAfter) == [2, 1])
    #expect(after.nodes.count == 1)
    manager.stopAfter = "cse"
    #expect(try manager.run(graph).records.count == 1)
    #expect(throws: PassError.self) { try PassRegistry.pipeline("cse,nope") }
  }
}
