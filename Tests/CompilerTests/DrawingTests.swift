import Compiler
import IR
import Passes
import Testing

@Suite struct DrawingTests {
  /// The first top-level node with this op whose operands include the named parameter.
  static func node(_ graph: Graph, _ op: Op, reading parameter: String) -> Node? {
    let id = graph.parameter(named: parameter)
    return graph.nodes.first { $0.op == op && id.map($0.operands.contains) == true }
  }

  @Test func parametersBelongToTheirOwnersModule() {
    #expect(ModuleScopes.scope(ofParameter: "wav2vec2.encoder.layers.3.attention.q_proj.weight") == ["wav2vec2", "encoder", "layers.3", "attention"])
    #expect(ModuleScopes.scope(ofParameter: "wav2vec2.feature_extractor.conv_layers.0.conv.weight") == ["wav2vec2", "feature_extractor", "conv_layers.0"])
    #expect(ModuleScopes.scope(ofParameter: "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1") == ["wav2vec2", "encoder", "pos_conv_embed"])
    #expect(ModuleScopes.scope(ofParameter: "lm_head.weight") == ["lm_head"])
    #expect(ModuleScopes.scope(ofParameter: "w") == [])
  }

  @Test func nodesOfTheTrainingGraphFallIntoModulesTheLossAndTheirBackward() throws {
    let graph = try TinyModel.training()
    let scopes = ModuleScopes(graph)
    let query = try #require(Self.node(graph, .linear, reading: "wav2vec2.encoder.layers.1.attention.q_proj.weight"))
    #expect(scopes.path(of: query.result) == ["wav2vec2", "encoder", "layers.1", "attention"])
    let intermediate = try #require(Self.node(graph, .linear, reading: "wav2vec2.encoder.layers.0.feed_forward.intermediate_dense.weight"))
    #expect(scopes.path(of: intermediate.result) == ["wav2vec2", "encoder", "layers.0", "feed_forward"])
    // The GELU after it reads no parameter: it inherits the feed-forward.
    let gelu = try #require(graph.nodes.first { $0.op == .gelu && $0.operands == [intermediate.result] })
    #expect(scopes.path(of: gelu.result) == ["wav2vec2", "encoder", "layers.0", "feed_forward"])
    let loss = try #require(graph.output(named: "loss"))
    #expect(scopes.path(of: loss) == ["loss"])
    // The q_proj weight's gradient is in the backward of that attention block.
    let gradient = try #require(graph.output(named: "grad.wav2vec2.encoder.layers.1.attention.q_proj.weight"))
    #expect(scopes.path(of: gradient) == ["backward", "wav2vec2", "encoder", "layers.1", "attention"])
    #expect(scopes.isBackward(gradient) && !scopes.isBackward(query.result))
    let convolution = try #require(Self.node(graph, .conv1d, reading: "wav2vec2.feature_extractor.conv_layers.0.conv.weight"))
    #expect(scopes.path(of: convolution.result) == ["wav2vec2", "feature_extractor", "conv_layers.0"])
  }

  @Test func theDrawingClustersColoursAndFoldsScalars() throws {
    let graph = try TinyModel.training()
    let dot = DotWriter.dot(graph)
    let query = try #require(Self.node(graph, .linear, reading: "wav2vec2.encoder.layers.1.attention.q_proj.weight"))
    // The q_proj node is drawn inside its attention block's cluster.
    let cluster = try #require(dot.range(of: "subgraph \"cluster_wav2vec2_encoder_layers_1_attention\" {"))
    let clusterBody = dot[cluster.upperBound...].prefix { $0 != "}" }
    #expect(clusterBody.contains("v\(query.result.index) [shape=box, style=filled, fillcolor=\"\(DotWriter.fillColor(.linearAlgebra))\""))
    #expect(dot.contains("subgraph \"cluster_backward__wav2vec2_encoder_layers_1\" {"))
    #expect(dot.contains("subgraph \"cluster_loss\" {"))
    // Scalar constants are no nodes of their own: their value is in the consumer's label.
    let scalars = graph.nodes.filter { $0.op == .constant && graph.type(of: $0.result).staticElementCount == 1 }
    #expect(!scalars.isEmpty)
    let scale = try #require(graph.nodes.first { node in node.op == .mul && node.operands.contains { scalars.map(\.result).contains($0) } })
    #expect(dot.contains("%\(graph.name(of: scale.result)) = mul(·, "))
    // Every other node is drawn exactly once.
    var drawn: [String: Int] = [:]
    for line in dot.split(separator: "\n") {
      let trimmed = line.drop { $0 == " " }
      if trimmed.hasPrefix("v"), let space = trimmed.firstIndex(of: " "), trimmed[space...].hasPrefix(" [") { drawn[String(trimmed[..<space]), default: 0] += 1 }
    }
    let folded = Set(scalars.map(\.result))
    for node in graph.nodes { #expect(drawn["v\(node.result.index)"] == (folded.contains(node.result) ? nil : 1)) }
  }

  @Test func aFusedRegionIsOneNodeListingItsBody() throws {
    var builder = GraphBuilder(name: "g")
    let x = builder.input("x", TensorType(.f32, [4]))
    let y = try builder.fused([x], kind: "elementwise", name: "region") { inner, arguments throws(Diagnostic) in
      try inner.unary(.tanh, try inner.unary(.exp, arguments[0], name: "e"), name: "t")
    }
    builder.output("y", y)
    let dot = DotWriter.dot(try builder.finish())
    #expect(!dot.contains("subgraph \"cluster_"))
    let line = try #require(dot.split(separator: "\n").first { $0.contains("%region = fused") })
    #expect(line.contains("shape=box3d") && line.contains("%e = exp(") && line.contains("%t = tanh(%e)") && line.contains("yield %t"))
  }
}
