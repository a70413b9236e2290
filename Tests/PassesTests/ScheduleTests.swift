import IR
import Passes
import Testing

/// schedule, TVM style, and its promise: no live range grows.
@Suite struct ScheduleTests {
  func scheduled(_ text: String) throws -> String {
    Printer.print(try PassManager(passes: [schedule]).run(try Parser.parseAndVerify(text)).graph)
  }

  @Test func aNodeWhoseOperandWouldLiveLongerStays() throws {
    // Sinking %s to %d would keep %a (read last by %s) alive over %b and %c.
    let text = """
      graph @g {
        input %x: f32[4]
        %a = exp(%x) : f32[4]
        %s = neg(%a) : f32[4]
        %b = exp(%x) : f32[4]
        %c = tanh(%b) : f32[4]
        %d = add(%c, %s) : f32[4]
        output y = %d
      }
      """
    #expect(try scheduled(text) == Printer.print(try Parser.parseAndVerify(text)))
  }

  @Test func outputsOnlyReadAtTheEndSinkToTheEnd() throws {
    let after = try scheduled(
      """
      graph @g {
        input %x: f32[4]
        param %p: f32[4]
        %g = neg(%p) : f32[4]
        %a = exp(%x) : f32[4]
        %b = tanh(%a) : f32[4]
        output grad = %g
        output y = %b
      }
      """)
    #expect(after.contains("%b = tanh(%a) : f32[4]\n  %g = neg(%p) : f32[4]\n"))
  }

  @Test func sinkingIsAFixedPoint() throws {
    let example = try #require(schedule.examples.first)
    let once = try PassManager(passes: [schedule]).run(try Parser.parseAndVerify(example.before)).graph
    #expect(try PassManager(passes: [schedule]).run(once).graph == once)
  }
}
