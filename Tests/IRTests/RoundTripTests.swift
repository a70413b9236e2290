import Foundation
import IR
import Testing

@Suite struct RoundTripTests {
  /// print(parse(print(g))) == print(g) over 1,000 random graphs, and the parsed graph verifies.
  @Test func randomGraphsRoundTrip() throws {
    var checkedNodes = 0
    for seed in UInt64(1)...1000 {
      var generator = RandomGraphGenerator(seed: seed)
      let graph = try generator.generate()
      let text = Printer.print(graph)
      let parsed = try Parser.parseAndVerify(text, file: "random-\(seed).ir")
      let reprinted = Printer.print(parsed)
      #expect(reprinted == text, "seed \(seed) does not round-trip:\n\(text)\n---\n\(reprinted)")
      if reprinted != text { return }
      checkedNodes += parsed.allNodes.count
    }
    #expect(checkedNodes > 5000, "the generator should exercise many nodes, made \(checkedNodes)")
  }

  @Test func everyOpFamilyAppearsInTheRandomGraphs() throws {
    var seen = Set<Op>()
    for seed in UInt64(1)...1000 {
      var generator = RandomGraphGenerator(seed: seed)
      seen.formUnion(try generator.generate().allNodes.map(\.op))
    }
    for op: Op in [.conv1d, .groupNorm, .layerNorm, .linear, .fused, .dropoutMask, .select, .pad, .slice, .concat, .transpose, .cast, .argmax] {
      #expect(seen.contains(op), "\(op) never generated")
    }
  }

  @Test func commentsAndLayoutDoNotMatter() throws {
    let text = """
      // leading comment
      graph @g {   // trailing comment
        input %x: f32[B, 4]
        %y = exp(%x) : f32[B, 4] // the exponential
        output y = %y
      }
      """
    let graph = try Parser.parseAndVerify(text)
    #expect(Printer.print(graph) == "graph @g {\n  input %x: f32[B, 4]\n  %y = exp(%x) : f32[B, 4]\n  output y = %y\n}\n")
  }

  @Test func floatAttributesRoundTripExactly() throws {
    for value in [1e-5, 0.1, 1.0 / 3.0, 123456.789, -0.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, .infinity, -.infinity] {
      var builder = GraphBuilder(name: "f")
      let x = builder.input("x", TensorType(.f32, [4]))
      let padded = try builder.apply(.pad, [x], ["pads": .ints([1, 1]), "value": .float(value)])
      builder.output("y", padded)
      let graph = try builder.finish()
      let parsed = try Parser.parseAndVerify(Printer.print(graph))
      // Bit patterns, so that -0.0 cannot come back as 0.0.
      guard case .float(let parsedValue)? = parsed.nodes[0].attributes["value"] else {
        Issue.record("\(value): the attribute did not come back as a float")
        continue
      }
      #expect(parsedValue.bitPattern == value.bitPattern, "\(value) came back as \(parsedValue)")
    }
  }

  @Test func regionsRoundTrip() throws {
    let text = """
      graph @fusion {
        input %a: f32[B, 8]
        input %b: f32[B, 8]
        %sum = fused(%a, %b) {kind = "elementwise"} : f32[B, 8] {
          ^(%x: f32[B, 8], %y: f32[B, 8]):
            %s = add(%x, %y) : f32[B, 8]
            %t = tanh(%s) : f32[B, 8]
            yield %t
        }
        output sum = %sum
      }

      """
    let graph = try Parser.parseAndVerify(text)
    #expect(Printer.print(graph) == text)
  }

  @Test func multiResultRegionsRoundTrip() throws {
    let text = """
      graph @residual_norm {
        input %x: f32[B, 8]
        input %r: f32[B, 8]
        param %w: f32[8]
        param %b: f32[8]
        %normed, %sum = fused(%x, %r, %w, %b) {kind = "reduction"} : (f32[B, 8], f32[B, 8]) {
          ^(%a: f32[B, 8], %c: f32[B, 8], %d: f32[8], %e: f32[8]):
            %s = add(%a, %c) : f32[B, 8]
            %n = layer_norm(%s, %d, %e) {eps = 1e-05} : f32[B, 8]
            yield %n, %s
        }
        %next = add(%sum, %normed) : f32[B, 8]
        output y = %next
      }

      """
    let graph = try Parser.parseAndVerify(text)
    #expect(Printer.print(graph) == text)
    let node = graph.nodes[0]
    #expect(node.results.map { graph.name(of: $0) } == ["normed", "sum"])
    #expect(node.result == node.results[0])
    #expect(node.region?.yields.map { graph.name(of: $0) } == ["n", "s"])
    // Comments and layout inside the result list do not matter.
    let spaced = text.replacingOccurrences(of: "%normed, %sum =", with: "%normed ,\n %sum // second\n =")
      .replacingOccurrences(of: "yield %n, %s", with: "yield %n ,\n %s")
    #expect(Printer.print(try Parser.parseAndVerify(spaced)) == text)
  }
}
