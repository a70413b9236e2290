import IR
import Testing

/// Malformed IR: every case must fail with a located, specific error, never crash.
@Suite struct MalformedIRTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var line: Int
    var column: Int
    var message: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    // Syntax.
    Case(name: "empty file", text: "", line: 1, column: 1, message: "expected 'graph'"),
    Case(name: "missing graph name", text: "graph {\n}", line: 1, column: 7, message: "expected a graph name"),
    Case(name: "unclosed graph", text: "graph @g {\n  input %x: f32[4]\n", line: 3, column: 1, message: "expected '}' to close the graph body"),
    Case(name: "text after graph", text: "graph @g {\n  input %x: f32[4]\n  output y = %x\n}\nextra", line: 5, column: 1, message: "after the graph's closing"),
    Case(name: "bad character", text: "graph @g {\n  input %x: f32[4] $\n}", line: 2, column: 20, message: "unexpected character '$'"),
    Case(name: "unknown dtype", text: "graph @g {\n  input %x: f33[4]\n}", line: 2, column: 13, message: "unknown dtype 'f33'"),
    Case(name: "missing type", text: "graph @g {\n  input %x\n}", line: 3, column: 1, message: "expected ':' before the type"),
    Case(name: "unclosed dims", text: "graph @g {\n  input %x: f32[4, 5\n}", line: 3, column: 1, message: "expected ']' to close the dimension list"),
    Case(name: "bad dimension", text: "graph @g {\n  input %x: f32[4, *]\n}", line: 2, column: 20, message: "expected a dimension"),
    Case(name: "non-affine dimension", text: "graph @g {\n  input %x: f32[B * S]\n}", line: 2, column: 19, message: "is not affine"),
    Case(name: "division by symbol", text: "graph @g {\n  input %x: f32[S / B]\n}", line: 2, column: 19, message: "divide only by a positive constant"),
    Case(name: "division by zero", text: "graph @g {\n  input %x: f32[S / 0]\n}", line: 2, column: 19, message: "divide only by a positive constant"),
    Case(name: "missing result type", text: "graph @g {\n  input %x: f32[4]\n  %y = exp(%x)\n  output y = %y\n}", line: 4, column: 3, message: "expected ':' before the result type"),
    Case(name: "missing operand comma", text: "graph @g {\n  input %x: f32[4]\n  %y = add(%x %x) : f32[4]\n  output y = %y\n}", line: 3, column: 15, message: "expected ')' to close the operand list"),
    Case(name: "unterminated string", text: "graph @g {\n  input %x: f32[4]\n  %y = fused(%x) {kind = \"oops} : f32[4]\n}", line: 3, column: 26, message: "unterminated string"),
    Case(name: "malformed number", text: "graph @g {\n  input %x: f32[4abc]\n}", line: 2, column: 17, message: "malformed number"),
    Case(name: "bare attribute word", text: "graph @g {\n  input %x: f32[4]\n  %y = softmax(%x) {axis = last} : f32[4]\n  output y = %y\n}", line: 3, column: 28, message: "unknown attribute value 'last'"),
    Case(name: "duplicate attribute", text: "graph @g {\n  input %x: f32[4]\n  %y = softmax(%x) {axis = 0, axis = 0} : f32[4]\n  output y = %y\n}", line: 3, column: 31, message: "attribute 'axis' is given twice"),
    Case(name: "yield outside region", text: "graph @g {\n  input %x: f32[4]\n  yield %x\n}", line: 3, column: 3, message: "'yield' outside a region"),
    // Names.
    Case(name: "unknown op", text: "graph @g {\n  input %x: f32[4]\n  %y = conv2d(%x) : f32[4]\n  output y = %y\n}", line: 3, column: 8, message: "unknown op 'conv2d' (did you mean 'conv1d'?)"),
    Case(name: "undefined value", text: "graph @g {\n  input %x: f32[4]\n  %y = exp(%z) : f32[4]\n  output y = %y\n}", line: 3, column: 12, message: "use of undefined value %z"),
    Case(name: "duplicate value", text: "graph @g {\n  input %x: f32[4]\n  %x = exp(%x) : f32[4]\n  output y = %x\n}", line: 3, column: 3, message: "%x is already defined at 2:9"),
    Case(name: "duplicate input", text: "graph @g {\n  input %x: f32[4]\n  param %x: f32[4]\n  output y = %x\n}", line: 3, column: 9, message: "%x is already defined"),
    Case(name: "cycle", text: "graph @g {\n  input %x: f32[4]\n  %a = add(%x, %b) : f32[4]\n  %b = exp(%a) : f32[4]\n  output y = %b\n}", line: 3, column: 16, message: "cycle: %a -> %b -> %a"),
    Case(name: "self cycle", text: "graph @g {\n  input %x: f32[4]\n  %a = add(%x, %a) : f32[4]\n  output y = %a\n}", line: 3, column: 16, message: "cycle: %a -> %a"),
    Case(name: "use before definition", text: "graph @g {\n  input %x: f32[4]\n  %a = exp(%b) : f32[4]\n  %b = exp(%x) : f32[4]\n  output y = %a\n}", line: 3, column: 12, message: "%b is used before its definition at 4:3"),
    Case(name: "undefined output", text: "graph @g {\n  input %x: f32[4]\n  output y = %nope\n}", line: 3, column: 14, message: "refers to %nope, which is not defined"),
    Case(name: "duplicate output", text: "graph @g {\n  input %x: f32[4]\n  output y = %x\n  output y = %x\n}", line: 4, column: 10, message: "output 'y' is already defined at 3:10"),
    Case(name: "region uses outer value", text: "graph @g {\n  input %x: f32[4]\n  %f = fused(%x) {kind = \"generic\"} : f32[4] {\n    ^(%a: f32[4]):\n      %b = add(%a, %x) : f32[4]\n      yield %b\n  }\n  output y = %f\n}", line: 5, column: 20, message: "not visible in this region"),
    Case(name: "fused without region", text: "graph @g {\n  input %x: f32[4]\n  %f = fused(%x) {kind = \"generic\"} : f32[4]\n  output y = %f\n}", line: 3, column: 8, message: "needs a region"),
    // Types and attributes (verifier).
    Case(name: "wrong attribute type", text: "graph @g {\n  input %x: f32[B, 1, 100]\n  param %w: f32[4, 1, 3]\n  %y = conv1d(%x, %w) {stride = 2.5} : f32[B, 4, 49]\n  output y = %y\n}", line: 4, column: 8, message: "attribute 'stride' must be int, found float 2.5"),
    Case(name: "unknown attribute", text: "graph @g {\n  input %x: f32[4]\n  %y = exp(%x) {alpha = 1} : f32[4]\n  output y = %y\n}", line: 3, column: 8, message: "unknown attribute 'alpha'"),
    Case(name: "missing attribute", text: "graph @g {\n  input %x: f32[4]\n  %y = softmax(%x) : f32[4]\n  output y = %y\n}", line: 3, column: 8, message: "missing required attribute 'axis'"),
    Case(name: "string not allowed", text: "graph @g {\n  input %lp: f32[B, T, 5]\n  input %len: i64[B]\n  input %lab: i64[B, L]\n  %l = ctc_loss(%lp, %len, %lab) {blank = 0, reduction = \"avg\"} : f32[]\n  output l = %l\n}", line: 5, column: 8, message: "must be one of \"mean\", \"sum\", \"none\""),
    Case(name: "shape mismatch in add", text: "graph @g {\n  input %x: f32[B, 4]\n  input %z: f32[B, 5]\n  %y = add(%x, %z) : f32[B, 4]\n  output y = %y\n}", line: 4, column: 8, message: "do not broadcast"),
    Case(name: "dtype mismatch", text: "graph @g {\n  input %x: f32[4]\n  input %z: f16[4]\n  %y = mul(%x, %z) : f32[4]\n  output y = %y\n}", line: 4, column: 8, message: "operand dtypes differ"),
    Case(name: "declared type differs", text: "graph @g {\n  input %x: f32[B, 1, 100]\n  param %w: f32[4, 1, 3]\n  %y = conv1d(%x, %w) {stride = 2} : f32[B, 4, 50]\n  output y = %y\n}", line: 4, column: 8, message: "declared result type f32[B, 4, 50] differs from the inferred f32[B, 4, 49]"),
    Case(name: "matmul contraction", text: "graph @g {\n  input %a: f32[B, 3, 4]\n  input %b: f32[5, 6]\n  %y = matmul(%a, %b) : f32[B, 3, 6]\n  output y = %y\n}", line: 4, column: 8, message: "contraction dimensions differ: 4 vs 5"),
    Case(name: "conv channel mismatch", text: "graph @g {\n  input %x: f32[B, 2, S]\n  param %w: f32[4, 3, 3]\n  %y = conv1d(%x, %w) : f32[B, 4, S - 2]\n  output y = %y\n}", line: 4, column: 8, message: "weight expects 3 input channels"),
    Case(name: "too few operands", text: "graph @g {\n  input %x: f32[4]\n  %y = add(%x) : f32[4]\n  output y = %y\n}", line: 3, column: 8, message: "expects 2 (a, b) operands, found 1"),
    Case(name: "bad permutation", text: "graph @g {\n  input %x: f32[2, 3]\n  %y = transpose(%x) {perm = [0, 0]} : f32[2, 2]\n  output y = %y\n}", line: 3, column: 8, message: "is not a permutation"),
    Case(name: "axis out of range", text: "graph @g {\n  input %x: f32[2, 3]\n  %y = softmax(%x) {axis = 2} : f32[2, 3]\n  output y = %y\n}", line: 3, column: 8, message: "axis 2 is out of range for rank 2"),
    Case(name: "reshape count", text: "graph @g {\n  input %x: f32[B, 6]\n  %y = reshape(%x) {shape = [B, 4]} : f32[B, 4]\n  output y = %y\n}", line: 3, column: 8, message: "element counts differ"),
    Case(name: "unbound symbol", text: "graph @g {\n  input %x: f32[B, 6]\n  %y = constant() {dtype = f32, shape = [Q], value = 0} : f32[Q]\n  output y = %x\n}", line: 3, column: 8, message: "dimension symbol 'Q'"),
    Case(name: "symbolic parameter", text: "graph @g {\n  input %x: f32[B, 6]\n  param %w: f32[B]\n  output y = %x\n}", line: 3, column: 9, message: "must have a static shape"),
    Case(name: "block argument type", text: "graph @g {\n  input %x: f32[4]\n  %f = fused(%x) {kind = \"generic\"} : f32[5] {\n    ^(%a: f32[5]):\n      %b = exp(%a) : f32[5]\n      yield %b\n  }\n  output y = %f\n}", line: 4, column: 7, message: "block argument %a: f32[5] differs from operand %x: f32[4]"),
    Case(name: "too short for kernel", text: "graph @g {\n  input %x: f32[B, 1, 5]\n  param %w: f32[4, 1, 10]\n  %y = conv1d(%x, %w) : f32[B, 4, 1]\n  output y = %y\n}", line: 4, column: 8, message: "shorter than the receptive field 10"),
    // Multi-result regions.
    Case(name: "more result names than types", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = fused(%x) {kind = \"generic\"} : f32[4] {\n    ^(%p: f32[4]):\n      yield %p, %p\n  }\n  output y = %a\n}", line: 3, column: 43, message: "2 result names but 1 result type"),
    Case(name: "more result types than names", text: "graph @g {\n  input %x: f32[4]\n  %a = fused(%x) {kind = \"generic\"} : (f32[4], f32[4]) {\n    ^(%p: f32[4]):\n      yield %p\n  }\n  output y = %a\n}", line: 3, column: 39, message: "1 result name but 2 result types"),
    Case(name: "unclosed result types", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = fused(%x) {kind = \"generic\"} : (f32[4], f32[4] {\n", line: 3, column: 59, message: "expected ')' to close the list of result types"),
    Case(name: "missing second result name", text: "graph @g {\n  input %x: f32[4]\n  %a, = fused(%x) : f32[4]\n}", line: 3, column: 7, message: "expected a value name (%name) as a further result name"),
    Case(name: "yield list trailing comma", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = fused(%x) {kind = \"generic\"} : (f32[4], f32[4]) {\n    ^(%p: f32[4]):\n      yield %p,\n  }\n}", line: 6, column: 3, message: "expected a value name (%name) after ',' in 'yield'"),
    Case(name: "fewer yields than results", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = fused(%x) {kind = \"generic\"} : (f32[4], f32[4]) {\n    ^(%p: f32[4]):\n      yield %p\n  }\n  output y = %a\n}", line: 3, column: 3, message: "region yields 1 value for 2 results"),
    Case(name: "yielded type differs from result", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = fused(%x) {kind = \"generic\"} : (f32[4], bool[4]) {\n    ^(%p: f32[4]):\n      %q = exp(%p) : f32[4]\n      yield %q, %p\n  }\n  output y = %b\n}", line: 3, column: 7, message: "declared result type bool[4] of %b differs from the yielded %p: f32[4]"),
    Case(name: "several results on a plain op", text: "graph @g {\n  input %x: f32[4]\n  %a, %b = exp(%x) : (f32[4], f32[4])\n  output y = %a\n}", line: 3, column: 3, message: "only ops with a region (fused) may define several"),
    Case(name: "second result defined twice", text: "graph @g {\n  input %x: f32[4]\n  %a, %x = fused(%x) {kind = \"generic\"} : (f32[4], f32[4]) {\n    ^(%p: f32[4]):\n      yield %p, %p\n  }\n  output y = %a\n}", line: 3, column: 7, message: "%x is already defined at 2:9"),
    Case(name: "cycle through a second result", text: "graph @g {\n  input %x: f32[4]\n  %c = exp(%b) : f32[4]\n  %a, %b = fused(%c) {kind = \"generic\"} : (f32[4], f32[4]) {\n    ^(%p: f32[4]):\n      yield %p, %p\n  }\n  output y = %a\n}", line: 3, column: 12, message: "cycle: %c -> %b -> %c"),
    Case(name: "no outputs", text: "graph @g {\n  input %x: f32[4]\n}", line: 0, column: 0, message: "has no outputs"),
  ]

  @Test(arguments: cases)
  func malformedInputIsReported(_ example: Case) {
    do {
      _ = try Parser.parseAndVerify(example.text, file: "bad.ir")
      Issue.record("\(example.name): accepted malformed IR")
    } catch {
      let first = error.diagnostics[0]
      #expect(first.file == "bad.ir")
      #expect(first.description.contains(example.message), "\(example.name): got \(first)")
      if example.line > 0 {
        #expect(first.location == SourceLocation(line: example.line, column: example.column), "\(example.name): got \(first)")
      }
    }
  }

  @Test func atLeastThirtyCases() { #expect(Self.cases.count >= 30) }

  /// Every proper prefix of a valid file lacks the graph's closing brace, so each must fail
  /// with a diagnostic that points inside the text: no crash, no hang, no silent success.
  @Test func everyTruncationFailsCleanly() throws {
    let text = try String(contentsOfFile: examplePath("conv-block.ir"), encoding: .utf8)
    let scalars = Array(text.unicodeScalars)
    let closing = try #require(scalars.lastIndex(of: "}"))
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
    for length in stride(from: 0, through: closing, by: 3) {
      var view = String.UnicodeScalarView()
      view.append(contentsOf: scalars[0..<length])
      do {
        _ = try Parser.parseAndVerify(String(view))
        Issue.record("the first \(length) characters parsed as a complete graph")
      } catch {
        #expect(!error.diagnostics.isEmpty, "prefix \(length): no diagnostic")
        for diagnostic in error.diagnostics {
          #expect((diagnostic.location?.line ?? 1) <= lines, "prefix \(length): \(diagnostic) points past the text")
        }
      }
    }
  }
}

/// Random corruption of valid files: every mutant parses or fails with a diagnostic; none crashes.
@Suite struct ParserMutationTests {
  @Test func randomMutationsNeverCrash() throws {
    var generator = RandomGraphGenerator(seed: 99)
    let seeds = [try String(contentsOfFile: examplePath("conv-block.ir"), encoding: .utf8), Printer.print(try generator.generate())]
    let alphabet = Array("%@{}[]()=,:^+-*/0123456789 \n\"abfS_.e".unicodeScalars) + ["9", "9", "9"]
    var rng = SplitMix64(seed: 2024)
    var rejected = 0
    for index in 0..<3000 {
      var scalars = Array(seeds[index % seeds.count].unicodeScalars)
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let position = Int.random(in: 0..<scalars.count, using: &rng)
        switch Int.random(in: 0...2, using: &rng) {
        case 0: scalars[position] = alphabet.randomElement(using: &rng)!
        case 1: scalars.remove(at: position)
        default: scalars.insert(contentsOf: Array(String(repeating: "9", count: Int.random(in: 1...25, using: &rng)).unicodeScalars), at: position)
        }
      }
      var view = String.UnicodeScalarView()
      view.append(contentsOf: scalars)
      do { _ = try Parser.parseAndVerify(String(view)) } catch { rejected += 1; #expect(!error.diagnostics.isEmpty) }
    }
    #expect(rejected > 2000)
  }

  @Test func hugeNumbersAreRejectedNotOverflowed() {
    for text in [
      "graph @g {\n  input %x: f32[99999999999999999999]\n}",
      "graph @g {\n  input %x: f32[1073741824 * 1073741824]\n  output y = %x\n}",
      "graph @g {\n  input %x: f32[4]\n  %y = pad(%x) {pads = [1073741824, 1073741824]} : f32[2147483652]\n  output y = %y\n}",
    ] {
      #expect(throws: DiagnosticList.self) { try Parser.parseAndVerify(text) }
    }
    // Nested divisions whose product would overflow stay nested instead of merging.
    let nested = "graph @g {\n  input %x: f32[S / 1073741824 / 1073741824 / 1073741824]\n  output y = %x\n}"
    #expect(throws: Never.self) { try Parser.parseAndVerify(nested) }
  }
}
