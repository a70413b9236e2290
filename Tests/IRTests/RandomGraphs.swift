import IR

/// A small deterministic generator (SplitMix64), so random tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Builds random valid graphs through the public builder: random symbolic and static shapes,
/// every op family, regions, odd names and float attributes with many digits.
struct RandomGraphGenerator {
  var rng: SplitMix64
  var builder: GraphBuilder
  var floatValues: [ValueID] = []
  var parameterCount = 0

  init(seed: UInt64) {
    rng = SplitMix64(seed: seed)
    builder = GraphBuilder(name: "random_\(seed)")
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
  mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

  mutating func randomDim() -> DimExpr {
    switch int(0...4) {
    case 0: return .symbol(pick(["B", "T"]))
    case 1: return DimExpr(int(1...6))
    case 2: return DimExpr.symbol("S").floorDivided(by: int(2...5)) + DimExpr(int(-1...1))
    default: return DimExpr(int(2...8))
    }
  }

  mutating func parameter(_ shape: [Int]) -> ValueID {
    parameterCount += 1
    let name = chance(0.5) ? "model.layers.\(parameterCount).weight" : "w\(parameterCount)"
    return builder.parameter(name, TensorType(.f32, shape.map { DimExpr($0) }))
  }

  mutating func generate() throws -> Graph {
    let inputCount = int(1...3)
    for index in 0..<inputCount {
      let rank = int(1...3)
      var shape = (0..<rank).map { _ in randomDim() }
      if index == 0 { shape[0] = .symbol("B") }
      floatValues.append(builder.input(chance(0.3) ? "input_values.\(index)" : "x\(index)", TensorType(.f32, shape)))
    }
    let seed = builder.input("seed", TensorType(.i64, []))
    let steps = int(1...12)
    for _ in 0..<steps { try step(seed: seed) }
    let outputs = Set((0..<int(1...3)).map { _ in floatValues[int(0...(floatValues.count - 1))] })
    for (index, value) in outputs.sorted().enumerated() { builder.output("out\(index)", value) }
    return try builder.finish()
  }

  mutating func step(seed: ValueID) throws {
    let x = pick(floatValues)
    let type = builder.type(of: x)
    let lastStatic = type.shape.last?.constantValue
    var result: ValueID?
    switch int(0...17) {
    case 0: result = try builder.unary(pick([.neg, .abs, .exp, .tanh, .erf, .gelu, .sigmoid, .relu, .sqrt]), x)
    case 1: result = try builder.binary(pick([.add, .sub, .mul, .div, .maximum, .minimum, .pow]), x, pick(floatValues.filter { builder.type(of: $0) == type }))
    case 2:
      guard type.rank >= 1 else { return }
      let reduced = try builder.reduce(.reduceMean, x, axes: [type.rank - 1], keepdims: true)
      result = try builder.sub(x, reduced)
    case 3:
      guard let features = lastStatic else { return }
      let out = int(1...6)
      let weight = parameter([out, features])
      result = try builder.linear(x, weight, chance(0.5) ? parameter([out]) : nil)
    case 4:
      guard let features = lastStatic else { return }
      result = try builder.layerNorm(x, parameter([features]), parameter([features]), eps: Double.random(in: 1e-9...1e-3, using: &rng))
    case 5:
      guard type.rank >= 1 else { return }
      result = try builder.apply(pick([.softmax, .logSoftmax]), [x], ["axis": .int(int(0...(type.rank - 1)))])
    case 6:
      guard type.rank >= 2 else { return }
      result = try builder.transpose(x, Array(0..<type.rank).shuffled(using: &rng))
    case 7:
      guard type.rank >= 1 else { return }
      let axis = int(0...(type.rank - 1))
      let start = int(0...1)
      result = try builder.slice(x, axis: axis, start: DimExpr(start), end: type.shape[axis], step: int(1...2))
    case 8:
      guard type.rank >= 1 else { return }
      result = try builder.concat([x, x], axis: int(0...(type.rank - 1)))
    case 9:
      let pads = (0..<(2 * type.rank)).map { _ in int(0...2) }
      result = try builder.apply(.pad, [x], ["pads": .ints(pads), "value": .float(Double.random(in: -2...2, using: &rng))])
    case 10:
      guard type.rank >= 1 else { return }
      result = try builder.reduce(pick([.reduceSum, .reduceMax, .reduceMean]), x, axes: [int(0...(type.rank - 1))], keepdims: chance(0.5))
    case 11:
      let condition = try builder.binary(pick([.lt, .ge, .eq]), x, try builder.constant(Double(int(-3...3)) / 7, .f32))
      result = try builder.apply(.select, [condition, x, try builder.constant(0, .f32, shape: [])])
    case 12:
      let half = try builder.cast(x, to: pick([.f16, .bf16, .f64]))
      result = try builder.cast(try builder.unary(.neg, half), to: .f32)
    case 13:
      let mask = try builder.apply(.dropoutMask, [x, seed], ["p": .float(Double(int(0...9)) / 10), "stream": .int(int(0...100))])
      result = try builder.mul(x, mask)
    case 14:
      if chance(0.5) {
        result = try builder.fused([x, x], kind: pick(["elementwise", "generic"])) { body, arguments throws(Diagnostic) in
          let sum = try body.add(arguments[0], arguments[1])
          return try body.unary(.tanh, sum)
        }
      } else {
        // A multi-result region: the sum and its tanh, both used later.
        let results = try builder.fused([x, x], kind: "elementwise", names: [nil, nil]) { body, arguments throws(Diagnostic) in
          let sum = try body.add(arguments[0], arguments[1])
          return [try body.unary(.tanh, sum), sum]
        }
        floatValues.append(results[1])
        result = results[0]
      }
    case 15:
      guard type.rank == 3, let channels = type.shape[1].constantValue, let length = type.shape[2].constantValue, length >= 3 else {
        // Make a convolvable tensor from a fresh input.
        floatValues.append(builder.input("audio\(floatValues.count)", TensorType(.f32, [.symbol("B"), DimExpr(int(1...4)), .symbol("S")])))
        return
      }
      let groups = channels % 2 == 0 && chance(0.5) ? 2 : 1
      let weight = parameter([int(1...3) * groups, channels / groups, int(1...3)])
      let stride = int(1...3)
      result = try builder.conv1d(x, weight, stride: stride, padding: int(0...2), groups: groups)
    case 16:
      guard type.rank == 3, let channels = type.shape[1].constantValue, (type.shape[2].constantValue ?? 3) >= 3 else { return }
      let y = try builder.conv1d(x, parameter([4, channels, 3]), stride: int(1...5))
      result = try builder.groupNorm(y, parameter([4]), parameter([4]), groups: pick([1, 2, 4]), eps: 1e-5)
    default:
      guard type.rank >= 1 else { return }
      let index = try builder.apply(.argmax, [x], ["axis": .int(type.rank - 1)])
      result = try builder.cast(index, to: .f32)
    }
    if let result { floatValues.append(result) }
  }
}
