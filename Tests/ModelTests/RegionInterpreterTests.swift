import IR
import Passes
@testable import Runtime
import Testing

/// The interpreter runs `fused` regions, binding every result of a multi-result region.
@Suite struct RegionInterpreterTests {
  static let residualNorm = """
    graph @residual_norm {
      input %x: f32[B, 4]
      input %r: f32[B, 4]
      param %w: f32[4]
      param %b: f32[4]
      %normed, %sum, %unused = fused(%x, %r, %w, %b) {kind = "reduction"} : (f32[B, 4], f32[B, 4], f32[B, 4]) {
        ^(%a: f32[B, 4], %c: f32[B, 4], %d: f32[4], %e: f32[4]):
          %s = add(%a, %c) : f32[B, 4]
          %n = layer_norm(%s, %d, %e) {eps = 1e-05} : f32[B, 4]
          %u = neg(%s) : f32[B, 4]
          yield %n, %s, %u
      }
      %next = mul(%sum, %normed) : f32[B, 4]
      output next = %next
      output sum = %sum
    }
    """

  /// The same computation without the region.
  static let unfused = """
    graph @residual_norm {
      input %x: f32[B, 4]
      input %r: f32[B, 4]
      param %w: f32[4]
      param %b: f32[4]
      %s = add(%x, %r) : f32[B, 4]
      %n = layer_norm(%s, %w, %b) {eps = 1e-05} : f32[B, 4]
      %next = mul(%s, %n) : f32[B, 4]
      output next = %next
      output sum = %s
    }
    """

  let inputs: [String: Tensor] = [
    "x": Tensor((0..<8).map { Float($0) * 0.37 - 1 }, shape: [2, 4]),
    "r": Tensor((0..<8).map { Float(($0 * 5) % 8) * 0.21 }, shape: [2, 4]),
  ]
  let parameters: [String: Tensor] = ["w": Tensor([0.5, 1, 1.5, 2] as [Float], shape: [4]), "b": Tensor([0.1, -0.2, 0.3, 0] as [Float], shape: [4])]

  @Test func everyResultOfARegionIsBound() throws {
    let fused = try Interpreter().run(try Parser.parseAndVerify(Self.residualNorm), inputs: inputs, parameters: parameters)
    let reference = try Interpreter().run(try Parser.parseAndVerify(Self.unfused), inputs: inputs, parameters: parameters)
    #expect(fused["sum"]?.floats == reference["sum"]?.floats)
    #expect(fused["next"]?.floats == reference["next"]?.floats)
    #expect(fused["sum"]?.floats == zip(inputs["x"]!.floats, inputs["r"]!.floats).map { $0 + $1 })
  }

  /// The observer sees each top-level node once, with its primary result.
  @Test func observerSeesThePrimaryResult() throws {
    let graph = try Parser.parseAndVerify(Self.residualNorm)
    let seen = SeenShapes()
    _ = try Interpreter(observer: { node, tensor in seen.add(node.op, tensor.shape) }).run(graph, inputs: inputs, parameters: parameters)
    #expect(seen.entries.map(\.0) == [.fused, .mul])
  }

  /// Fusing a graph and running it gives the unfused graph's values, multi-result regions included.
  @Test func fusedPipelineMatchesTheUnfusedGraph() throws {
    let graph = try Parser.parseAndVerify(Self.unfused)
    let fused = try PassManager(passes: try PassRegistry.pipeline("fuse-reductions,fuse-epilogues,fuse-elementwise,dce")).run(graph).graph
    // add, layer_norm and the mul reading both become one region; the sum is also an output.
    #expect(fused.nodes.count == 1 && fused.nodes[0].results.count == 2)
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: parameters)
    let actual = try Interpreter().run(fused, inputs: inputs, parameters: parameters)
    #expect(actual["next"]?.floats == expected["next"]?.floats)
    #expect(actual["sum"]?.floats == expected["sum"]?.floats)
  }
}

private final class SeenShapes: @unchecked Sendable {
  var entries: [(Op, [Int])] = []
  func add(_ op: Op, _ shape: [Int]) { entries.append((op, shape)) }
}

/// Elementwise regions run as one tiled kernel (`FusedElementwiseKernel`); its values must be
/// bit-identical to running the body op by op, across broadcasts, bools, constants, rows
/// longer than a tile and values yielded in place.
@Suite struct FusedElementwiseKernelTests {
  static let chain = """
    graph @g {
      input %x: f32[B, 5000]
      input %row: f32[B, 1]
      input %column: f32[5000]
      input %flag: bool[B, 1]
      %zero = constant() {dtype = f32, shape = [], value = 0.0} : f32[]
      %two = constant() {dtype = f32, shape = [], value = 2.0} : f32[]
      %a = sub(%x, %row) : f32[B, 5000]
      %b = mul(%a, %column) : f32[B, 5000]
      %c = gelu(%b) : f32[B, 5000]
      %d = gelu_grad(%a, %c) : f32[B, 5000]
      %e = gt(%d, %zero) : bool[B, 5000]
      %f = and(%e, %flag) : bool[B, 5000]
      %g = not(%f) : bool[B, 5000]
      %h = select(%g, %d, %two) : f32[B, 5000]
      %i = maximum(%h, %a) : f32[B, 5000]
      %j = abs(%i) : f32[B, 5000]
      %k = pow(%j, %two) : f32[B, 5000]
      %l = div(%k, %column) : f32[B, 5000]
      %m = tanh(%l) : f32[B, 5000]
      %n = rsqrt(%j) : f32[B, 5000]
      %o = add(%m, %n) : f32[B, 5000]
      output o = %o
      output a = %a
      output g = %g
    }
    """

  @Test func tiledKernelMatchesOpByOpBitForBit() throws {
    let graph = try Parser.parseAndVerify(Self.chain)
    let fused = try PassManager(passes: [fuseElementwise]).run(graph).graph
    #expect(fused.nodes.count == 1 && fused.nodes[0].results.count == 3)
    let rows = 3
    var state: UInt64 = 12345
    func next() -> Float {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 250
    }
    var x = (0..<(rows * 5000)).map { _ in next() }
    x[7] = .nan
    x[5003] = -.infinity
    let inputs: [String: Tensor] = [
      "x": Tensor(x, shape: [rows, 5000]), "row": Tensor((0..<rows).map { _ in next() }, shape: [rows, 1]),
      "column": Tensor((0..<5000).map { _ in next() + 4.5 }, shape: [5000]), "flag": Tensor([true, false, true], shape: [rows, 1]),
    ]
    let node = fused.nodes[0]
    let kernel = FusedElementwiseKernel(
      node.region!, graph: fused, space: [rows, 5000], operandShapes: node.operands.map { inputs[fused.name(of: $0)]!.shape }, bindings: ["B": rows])
    #expect(kernel != nil, "the region should run as one fused kernel")
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: [:])
    let actual = try Interpreter().run(fused, inputs: inputs, parameters: [:])
    for name in ["o", "a"] {
      let want = expected[name]!.floats.map(\.bitPattern)
      let got = actual[name]!.floats.map(\.bitPattern)
      #expect(want == got, "\(name) differs at \(want.indices.first { want[$0] != got[$0] } ?? -1)")
    }
    #expect(expected["g"]!.doubles == actual["g"]!.doubles)
  }

  /// An epilogue region: the contraction by its own kernel, the elementwise rest tiled; the
  /// contraction's output, also yielded, passes through.
  @Test func epilogueTailMatchesOpByOp() throws {
    let text = """
      graph @g {
        input %x: f32[B, 8]
        param %w: f32[6, 8]
        param %b: f32[6]
        input %r: f32[B, 6]
        %h = linear(%x, %w, %b) : f32[B, 6]
        %g = gelu(%h) : f32[B, 6]
        %y = add(%r, %g) : f32[B, 6]
        output y = %y
        output h = %h
      }
      """
    let graph = try Parser.parseAndVerify(text)
    let fused = try PassManager(passes: [fuseEpilogues]).run(graph).graph
    #expect(fused.nodes.count == 1 && fused.nodes[0].results.count == 2)
    let inputs = ["x": Tensor((0..<40).map { Float($0 % 9) / 3 - 1 }, shape: [5, 8]), "r": Tensor((0..<30).map { Float($0 % 4) }, shape: [5, 6])]
    let parameters = ["w": Tensor((0..<48).map { Float($0 % 7) / 5 - 0.5 }, shape: [6, 8]), "b": Tensor((0..<6).map { Float($0) / 10 }, shape: [6])]
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: parameters)
    let actual = try Interpreter().run(fused, inputs: inputs, parameters: parameters)
    for name in ["y", "h"] { #expect(expected[name]!.floats.map(\.bitPattern) == actual[name]!.floats.map(\.bitPattern), "\(name)") }
  }

  /// Axes every operand walks alike merge, so per-row values ([B, T, 1]) are one long row.
  @Test func axesCoalesceWhereEveryOperandAllows() {
    let rows = FusedElementwiseKernel.coalesced([5, 7, 1], [[7, 1, 1], [0, 0, 0]])
    #expect(rows.shape == [35] && rows.strides == [[1], [0]])
    // A bias along the last axis keeps it separate; the leading axes merge.
    let bias = FusedElementwiseKernel.coalesced([2, 3, 4], [[12, 4, 1], [0, 0, 1]])
    #expect(bias.shape == [6, 4] && bias.strides == [[4, 1], [0, 1]])
    // A per-row statistic ([2, 3, 1]) against a full operand: nothing merges across the last axis.
    let statistic = FusedElementwiseKernel.coalesced([2, 3, 4], [[12, 4, 1], [3, 1, 0]])
    #expect(statistic.shape == [6, 4] && statistic.strides == [[4, 1], [1, 0]])
  }

  /// Regions the tiled kernel does not take (integers, a non-elementwise op) still run, op by op.
  @Test func otherRegionsFallBackToOpByOp() throws {
    let text = """
      graph @g {
        input %x: i64[4]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %y = add(%x, %one) : i64[4]
        %z = floor_div(%y, %one) : i64[4]
        output z = %z
      }
      """
    let graph = try Parser.parseAndVerify(text)
    let fused = try PassManager(passes: [fuseElementwise]).run(graph).graph
    #expect(fused.nodes.count == 1)
    let inputs = ["x": Tensor([Int64](arrayLiteral: 1, -2, 3, 4), shape: [4])]
    #expect(try Interpreter().run(fused, inputs: inputs, parameters: [:])["z"]?.int64s == [2, -1, 4, 5])
  }
}
