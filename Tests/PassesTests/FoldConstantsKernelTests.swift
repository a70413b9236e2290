import IR
import Passes
import Runtime
import Tensor
import Testing

/// fold-constants computes elementwise ops of constants itself (Passes does not link the
/// interpreter); here every op it folds, on every dtype and awkward values (signed zeros, NaN,
/// infinities, integers beyond float precision, results that are NaN), is run both ways: the interpreter on the
/// unfolded graph and on the folded one must give the same bits.
@Suite struct FoldConstantsKernelTests {
  // No NaN constants: the verifier refuses them (its normal-form check compares attributes, and
  // NaN equals nothing), so NaN only appears as a result, which fold-constants then leaves alone.
  static let samples: [DType: [Double]] = [
    .f32: [-2.5, -0.0, 0, 0.1, 1, 3, 1e30, .infinity],
    .f64: [-2.5, -0.0, 0, 0.1, 1, 3, 1e300, -.infinity],
    .i64: [-7, -1, 0, 1, 3, 1_099_511_627_777],
    .i32: [-7, -1, 0, 1, 3, 2_000_000_000],
    .bool: [0, 1],
  ]
  static let unaryOps: [Op] = [.neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .logicalNot]
  static let binaryOps: [Op] = [
    .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr,
  ]

  /// The graph computing `op` of constants (as `output y`), or nil when the op does not type-check.
  func constantGraph(_ op: Op, _ operands: [(DType, Double)], _ attributes: Attributes = [:]) -> Graph? {
    var builder = GraphBuilder(name: "g")
    do {
      let values = try operands.map { dtype, value in
        try builder.apply(.constant, [], ["dtype": .dtype(dtype), "shape": .dims([2]), "value": .float(value)])
      }
      builder.output("y", try builder.apply(op, values, attributes))
      return try builder.finish()
    } catch {
      return nil
    }
  }

  func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
    guard a.dtype == b.dtype, a.shape == b.shape else { return false }
    if a.dtype.isFloatingPoint {
      return zip(a.doubles, b.doubles).allSatisfy { ($0.isNaN && $1.isNaN) || $0.bitPattern == $1.bitPattern }
    }
    let bytes = a.count * a.dtype.byteSize
    return Array(UnsafeRawBufferPointer(start: a.storage.data, count: bytes)) == Array(UnsafeRawBufferPointer(start: b.storage.data, count: bytes))
  }

  /// Folds the graph and checks it against the interpreter; returns whether the op was folded.
  @discardableResult
  func check(_ graph: Graph, _ label: String) throws -> Bool {
    let folded = try PassManager(passes: [foldConstants]).run(graph).graph
    let isFolded = folded.nodes.last?.op == .constant
    guard let expected = try? Interpreter().run(graph, inputs: [:], parameters: [:])["y"] else {
      #expect(!isFolded, "\(label): folded an op the interpreter refuses")
      return false
    }
    let actual = try Interpreter().run(folded, inputs: [:], parameters: [:])["y"]!
    #expect(sameBits(actual, expected), "\(label): folded \(actual.doubles) but the kernel gives \(expected.doubles)")
    return isFolded
  }

  @Test func unaryOpsFoldAsTheKernelsCompute() throws {
    var folded = 0
    for op in Self.unaryOps {
      for (dtype, values) in Self.samples {
        for value in values {
          guard let graph = constantGraph(op, [(dtype, value)]) else { continue }
          if try check(graph, "\(op)(\(dtype) \(value))") { folded += 1 }
        }
      }
    }
    #expect(folded > 150)
  }

  @Test func binaryOpsFoldAsTheKernelsCompute() throws {
    var folded = 0
    for op in Self.binaryOps {
      for (dtype, values) in Self.samples {
        for a in values {
          for b in values {
            guard let graph = constantGraph(op, [(dtype, a), (dtype, b)]) else { continue }
            if try check(graph, "\(op)(\(dtype) \(a), \(b))") { folded += 1 }
          }
        }
      }
    }
    #expect(folded > 2000)
  }

  @Test func castsFoldAsTheCastKernelConverts() throws {
    let targets: [DType] = [.f32, .f64, .i64, .i32, .bool]
    for (dtype, values) in Self.samples {
      for value in values {
        for target in targets {
          let graph = try #require(constantGraph(.cast, [(dtype, value)], ["to": .dtype(target)]))
          // Saturating to Int64.max gives 2^63 - 1, which no Double attribute holds: left alone.
          let saturates = target == .i64 && value >= 9.2e18
          #expect(try check(graph, "cast(\(dtype) \(value)) to \(target)") == !saturates, "cast(\(dtype) \(value)) to \(target)")
        }
      }
    }
  }

  @Test func halfTypesAreLeftAlone() throws {
    let graph = try #require(constantGraph(.add, [(.f16, 0.1), (.f16, 0.2)]))
    #expect(try !check(graph, "f16 add"))
  }

  @Test func selectAndLayoutOpsOfConstantsFold() throws {
    let select = try #require(constantGraph(.select, [(.bool, 1), (.f32, 2), (.f32, 3)]))
    #expect(try check(select, "select"))
    for (op, attributes): (Op, Attributes) in [
      (.reshape, ["shape": .dims([1, 2])]), (.broadcastTo, ["shape": .dims([3, 2])]), (.transpose, ["perm": .ints([0])]),
      (.slice, ["axis": .int(0), "start": .dims([1]), "end": .dims([2])]),
    ] {
      let graph = try #require(constantGraph(op, [(.i64, 5)], attributes))
      #expect(try check(graph, "\(op) of a constant"))
    }
  }
}

/// The shortened integer chain against the interpreter on the original chain, for sizes that
/// make every intermediate negative, zero or positive (the feature encoder's seven layers).
@Suite struct IntegerChainKernelTests {
  @Test func featureEncoderLengthsAgreeForEverySize() throws {
    var builder = GraphBuilder(name: "lengths")
    let audio = builder.input("x", TensorType(.f32, [1, .symbol("S")]))
    var length = try builder.apply(.dimSize, [audio], ["axis": .int(1)])
    func constant(_ value: Int) throws -> ValueID {
      try builder.apply(.constant, [], ["dtype": .dtype(.i64), "shape": .dims([]), "value": .float(Double(value))])
    }
    for (kernel, stride) in zip([10, 3, 3, 3, 3, 2, 2], [5, 2, 2, 2, 2, 2, 2]) {
      length = try builder.apply(.sub, [length, try constant(kernel)])
      length = try builder.apply(.floorDiv, [length, try constant(stride)])
      length = try builder.apply(.add, [length, try constant(1)])
    }
    builder.output("frames", length)
    let graph = try builder.finish()
    let folded = try PassManager(passes: [foldConstants, deadCodeElimination]).run(graph).graph
    #expect(folded.nodes.filter { $0.op != .constant }.count == 4, "dim_size, sub, floor_div, add")
    for samples in stride(from: 1, through: 2_000, by: 3) {
      let inputs = ["x": Tensor([Float](repeating: 0, count: samples), shape: [1, samples])]
      let expected = try Interpreter().run(graph, inputs: inputs, parameters: [:])["frames"]!.int64s
      let actual = try Interpreter().run(folded, inputs: inputs, parameters: [:])["frames"]!.int64s
      #expect(actual == expected, "S = \(samples)")
    }
  }
}
