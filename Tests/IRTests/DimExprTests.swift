import IR
import Testing

@Suite struct DimExprTests {
  let s = DimExpr.symbol("S")

  /// frames = (S - k) / s + 1 through the seven Wav2Vec2 convolutions collapses to (S - 400) / 320 + 1.
  @Test func wav2vec2FrameCountIsCanonical() {
    var length = s
    for (kernel, stride) in zip([10, 3, 3, 3, 3, 2, 2], [5, 2, 2, 2, 2, 2, 2]) {
      length = (length - DimExpr(kernel)).floorDivided(by: stride) + 1
    }
    #expect(length == (s - 400).floorDivided(by: 320) + 1)
    #expect(length.description == "(S - 400) / 320 + 1")
    for samples in [400, 401, 719, 720, 16000, 160_000] {
      #expect(length.evaluate(["S": samples]) == (samples - 400) / 320 + 1)
    }
  }

  @Test func evaluationMatchesStepByStepArithmetic() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<300 {
      var expression = s
      var steps: [(Int, Int)] = []
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let kernel = Int.random(in: 1...12, using: &rng)
        let stride = Int.random(in: 1...6, using: &rng)
        steps.append((kernel, stride))
        expression = (expression - DimExpr(kernel)).floorDivided(by: stride) + 1
      }
      let samples = Int.random(in: 200...5000, using: &rng)
      var expected = samples
      for (kernel, stride) in steps { expected = floorDivide(expected - kernel, stride) + 1 }
      #expect(expression.evaluate(["S": samples]) == expected)
    }
  }

  @Test func arithmeticIsCanonical() {
    #expect(s + 3 - 3 == s)
    #expect((s * 4).floorDivided(by: 2) == s * 2)
    #expect((s + 5).floorDivided(by: 5) == s.floorDivided(by: 5) + 1)
    #expect(s.floorDivided(by: 2).floorDivided(by: 3) == s.floorDivided(by: 6))
    #expect(DimExpr(-7).floorDivided(by: 2) == DimExpr(-4))
    #expect(s.multiplied(by: .symbol("B")) == nil)
    #expect((s * 2).description == "2 * S")
    #expect((s - DimExpr.symbol("B")).description == "-B + S")
  }
}
