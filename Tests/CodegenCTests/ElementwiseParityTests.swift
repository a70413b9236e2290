import IR
import Runtime
import Testing

/// Elementwise ops through the C backend against the interpreter, in f32 and f64 and on
/// integers and bools, with NumPy broadcasting.
@Suite struct ElementwiseParityTests {
  static let unaryOps: [Op] = [.neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal]

  @Test(arguments: [DType.f32, .f64])
  func unary(_ dtype: DType) throws {
    var graph = ParityGraph("unary")
    let x = graph.input("x", [3, 7], in: -5...5, dtype: dtype)
    let positive = graph.input("p", [3, 7], in: 0.1...4, dtype: dtype)
    for op in Self.unaryOps {
      let operand = [Op.log, .sqrt, .rsqrt].contains(op) ? positive : x
      graph.output(op.rawValue, try graph.builder.unary(op, operand))
    }
    try Parity.check(try graph.graph(), inputs: graph.inputs, "unary \(dtype)")
  }

  @Test(arguments: [DType.f32, .f64])
  func binaryWithBroadcasting(_ dtype: DType) throws {
    for (index, shapes) in [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([4], []), ([2, 1, 4], [3, 1])].enumerated() {
      var graph = ParityGraph("binary", seed: UInt64(index))
      let a = graph.input("a", shapes.0, in: 0.5...2, dtype: dtype)
      let b = graph.input("b", shapes.1, in: 0.5...2, dtype: dtype)
      let c = graph.input("c", shapes.1, in: -2...2, dtype: dtype)
      for op in [Op.add, .sub, .mul, .div, .pow, .maximum, .minimum, .eq, .ne, .lt, .le, .gt, .ge] {
        graph.output(op.rawValue, try graph.builder.binary(op, a, op == .pow ? b : c))
      }
      try Parity.check(try graph.graph(), inputs: graph.inputs, "binary \(dtype) \(shapes)")
    }
  }

  @Test func geluGradAndNaNs() throws {
    var graph = ParityGraph("gelu_grad")
    let x = graph.input("x", Tensor([-6, -1, 0, 0.5, 3, .nan, .infinity, -.infinity] as [Float], shape: [8]))
    let dy = graph.input("dy", [8])
    graph.output("gelu_grad", try graph.builder.apply(.geluGrad, [x, dy]))
    graph.output("relu", try graph.builder.unary(.relu, x))
    graph.output("maximum", try graph.builder.binary(.maximum, x, dy))
    graph.output("minimum", try graph.builder.binary(.minimum, dy, x))
    graph.output("sigmoid", try graph.builder.unary(.sigmoid, x))
    try Parity.check(try graph.graph(), inputs: graph.inputs, "gelu_grad and NaN")
  }

  /// The f32 gelu and gelu_grad of the prelude (asrc_geluf, asrc_gelu_gradf) against the f64
  /// interpreter (glibc's erfc) over [-20, 20] in steps of 1e-3: gelu within 1e-5 relative
  /// wherever it is a normal float, so the tail keeps its relative accuracy; gelu_grad within
  /// 1e-6 absolute (it crosses zero near -0.75). Measured: 4.2e-6 and 1.7e-7. With IEEE
  /// subnormals: the default flush to zero ends the tail near 1e-38 instead.
  @Test func geluAcrossItsRange() throws {
    let points = (-20_000...20_000).map { Float($0) / 1000 }
    func graph(_ dtype: DType) throws -> (Graph, [String: Tensor]) {
      var graph = ParityGraph("gelu_range_\(dtype)")
      let x = graph.input("x", dtype == .f32 ? Tensor(points, shape: [points.count]) : Tensor(points.map(Double.init), shape: [points.count]))
      let ones = graph.input("dy", dtype == .f32 ? Tensor([Float](repeating: 1, count: points.count), shape: [points.count]) : Tensor([Double](repeating: 1, count: points.count), shape: [points.count]))
      graph.output("gelu", try graph.builder.unary(.gelu, x))
      graph.output("gelu_grad", try graph.builder.apply(.geluGrad, [x, ones]))
      return (try graph.graph(), graph.inputs)
    }
    let (single, singleInputs) = try graph(.f32)
    let (double, doubleInputs) = try graph(.f64)
    let actual = try Parity.subnormalBackend.run(single, inputs: singleInputs, parameters: [:])
    let exact = try Interpreter().run(double, inputs: doubleInputs, parameters: [:])
    var geluError = 0.0, gradError = 0.0
    for (a, b) in zip(actual["gelu"]!.doubles, exact["gelu"]!.doubles) where Swift.abs(b) >= Double(Float.leastNormalMagnitude) {
      geluError = Swift.max(geluError, Swift.abs(a - b) / Swift.abs(b))
    }
    for (a, b) in zip(actual["gelu_grad"]!.doubles, exact["gelu_grad"]!.doubles) { gradError = Swift.max(gradError, Swift.abs(a - b)) }
    print("f32 gelu over [-20, 20]: worst relative error \(geluError); gelu_grad worst absolute error \(gradError)")
    #expect(geluError <= 1e-5)
    #expect(gradError <= 1e-6)
  }

  /// A step flushes subnormal results and inputs to zero by default, keeps them in a library
  /// built with `flushesSubnormals: false` (the same graph, so the two libraries differ only
  /// in that), and leaves the calling thread's floating-point mode as it found it.
  @Test func subnormalsAreFlushedInsideStepsOnly() throws {
    var graph = ParityGraph("subnormals")
    let (small, smaller) = (Float.leastNormalMagnitude / 1024, Float.leastNormalMagnitude / 8)
    let x = graph.input("x", Tensor([1e-30, small, 2], shape: [3]))
    let y = graph.input("y", Tensor([1e-10, 1, smaller], shape: [3]))
    graph.output("product", try graph.builder.mul(x, y))
    let built = try graph.graph()
    let flushed = try Parity.backend.run(built, inputs: graph.inputs, parameters: [:])["product"]!.doubles
    let kept = try Parity.subnormalBackend.run(built, inputs: graph.inputs, parameters: [:])["product"]!.doubles
    #expect(flushed == [0, 0, 0])
    #expect(kept == [Double(Float(1e-30) * Float(1e-10)), Double(small), Double(2 * smaller)])
    let operands = graph.inputs["x"]!.doubles.map(Float.init)
    #expect(operands[0] * 1e-10 > 0, "the calling thread was left flushing subnormals")
  }

  @Test(arguments: [DType.i64, .i32])
  func integers(_ dtype: DType) throws {
    var graph = ParityGraph("integers")
    let values: [Int64] = [-7, -3, -1, 0, 2, 5, 9, 100]
    let divisors: [Int64] = [2, -2, 3, 0, -3, 2, 4, -7]
    let a = try graph.builder.cast(graph.input("a", Tensor(values, shape: [8])), to: dtype)
    let b = try graph.builder.cast(graph.input("b", Tensor(divisors, shape: [8])), to: dtype)
    for op in [Op.add, .sub, .mul, .div, .floorDiv, .maximum, .minimum, .eq, .lt, .ge] {
      graph.output(op.rawValue, try graph.builder.binary(op, a, b))
    }
    for op in [Op.neg, .abs, .relu] { graph.output(op.rawValue, try graph.builder.unary(op, a)) }
    try Parity.check(try graph.graph(), inputs: graph.inputs, "integers \(dtype)")
  }

  @Test func logicSelectAndCasts() throws {
    var graph = ParityGraph("logic")
    let p = graph.input("p", Tensor([true, false, true, false, true, true], shape: [2, 3]))
    let q = graph.input("q", Tensor([false, false, true], shape: [3]))
    let x = graph.input("x", Tensor([-2.7, -0.5, 0, 0.5, 3.9, .nan] as [Float], shape: [2, 3]))
    let y = graph.input("y", [3])
    graph.output("and", try graph.builder.binary(.logicalAnd, p, q))
    graph.output("or", try graph.builder.binary(.logicalOr, p, q))
    graph.output("not", try graph.builder.unary(.logicalNot, p))
    graph.output("eq", try graph.builder.binary(.eq, p, q))
    graph.output("select", try graph.builder.apply(.select, [p, x, y]))
    for dtype in [DType.f64, .i64, .i32, .bool] {
      let cast = try graph.builder.cast(x, to: dtype)
      graph.output("to_\(dtype)", cast)
      graph.output("back_\(dtype)", try graph.builder.cast(cast, to: .f32))
    }
    graph.output("bool_to_f32", try graph.builder.cast(p, to: .f32))
    try Parity.check(try graph.graph(), inputs: graph.inputs, "logic, select and casts")
  }

  /// Sources: filled constants in every dtype, iota, and dim_size of a symbolic axis.
  @Test func sources() throws {
    var graph = ParityGraph("sources")
    let x = graph.input("x", Tensor((0..<10).map { Float($0) }, shape: [2, 5]), declared: TensorType(.f32, [.symbol("B"), 5]))
    for dtype in [DType.f32, .f64, .i64, .i32, .bool] {
      graph.output("constant_\(dtype)", try graph.builder.constant(2.5, dtype, shape: [.symbol("B"), 3]))
      if dtype != .bool {
        graph.output("iota_\(dtype)", try graph.builder.apply(.iota, [], ["dtype": .dtype(dtype), "shape": .dims([.symbol("B"), 3, 4]), "axis": .int(1)]))
      }
    }
    let size = try graph.builder.apply(.dimSize, [x], ["axis": .int(0)])
    graph.output("dim_size", size)
    graph.output("scaled", try graph.builder.mul(x, try graph.builder.cast(size, to: .f32)))
    try Parity.check(try graph.graph(), inputs: graph.inputs, "sources")
  }
}
