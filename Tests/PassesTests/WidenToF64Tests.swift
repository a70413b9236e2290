import IR
import Passes
import Testing

/// widen-to-f64: Before/Expected.
@Suite struct WidenToF64Tests {
  @Test func everyFloatBecomesF64AndIntegersStay() throws {
    let before = try Parser.parseAndVerify(
      """
      graph @g {
        input %x: f32[B, 4]
        input %n: i64[B]
        param %w: bf16[4]
        %h = cast(%x) {to = bf16} : bf16[B, 4]
        %y = mul(%h, %w) : bf16[B, 4]
        %z = cast(%y) {to = f32} : f32[B, 4]
        %c = constant() {dtype = f16, shape = [], value = 2.0} : f16[]
        %m = cast(%n) {to = f32} : f32[B]
        output z = %z
        output c = %c
        output m = %m
        output n = %n
      }
      """)
    let expected = try Parser.parseAndVerify(
      """
      graph @g {
        input %x: f64[B, 4]
        input %n: i64[B]
        param %w: f64[4]
        %h = cast(%x) {to = f64} : f64[B, 4]
        %y = mul(%h, %w) : f64[B, 4]
        %z = cast(%y) {to = f64} : f64[B, 4]
        %c = constant() {dtype = f64, shape = [], value = 2.0} : f64[]
        %m = cast(%n) {to = f64} : f64[B]
        output z = %z
        output c = %c
        output m = %m
        output n = %n
      }
      """)
    let after = try PassManager(passes: [widenToF64]).run(before).graph
    #expect(Printer.print(after) == Printer.print(expected))
  }
}
