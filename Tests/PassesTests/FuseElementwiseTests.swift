import IR
import Passes
import Testing

/// Before/Expected text tests for `fuseElementwise` edge cases (its documented examples run in PassExampleTests).
@Suite struct FuseElementwiseTests {
  func run(_ before: String) throws -> String {
    let (after, _) = try PassManager(passes: [fuseElementwise]).run(try Parser.parseAndVerify(before))
    return Printer.print(after)
  }

  /// The transpose reads %a and feeds %b: %b cannot join (the region would both feed and read it), %a leaves as a second result.
  @Test func producerReadByAnOutsideNodeThatFeedsTheGroupStaysAnExtraResultWithoutACycle() throws {
    let before = """
      graph @g {
        input %x: f32[4, 4]
        %a = exp(%x) : f32[4, 4]
        %c = neg(%a) : f32[4, 4]
        %p = transpose(%a) {perm = [1, 0]} : f32[4, 4]
        %b = add(%c, %p) : f32[4, 4]
        output y = %b
      }
      """
    let expected = """
      graph @g {
        input %x: f32[4, 4]
        %c, %a = fused(%x) {kind = "elementwise"} : (f32[4, 4], f32[4, 4]) {
          ^(%c.arg0: f32[4, 4]):
            %a.inner = exp(%c.arg0) : f32[4, 4]
            %c.inner = neg(%a.inner) : f32[4, 4]
            yield %c.inner, %a.inner
        }
        %p = transpose(%a) {perm = [1, 0]} : f32[4, 4]
        %b = add(%c, %p) : f32[4, 4]
        output y = %b
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// %u and %w run over [4], not [2, 4]: %u stays outside as a broadcast operand, %w alone is left as it is.
  @Test func onlyOpsOverTheSameIterationSpaceJoin() throws {
    let before = """
      graph @g {
        input %x: f32[2, 4]
        input %y: f32[2, 4]
        input %z: f32[4]
        %s = add(%x, %y) : f32[2, 4]
        %u = exp(%z) : f32[4]
        %v = mul(%s, %u) : f32[2, 4]
        %w = sqrt(%z) : f32[4]
        output v = %v
        output w = %w
      }
      """
    let expected = """
      graph @g {
        input %x: f32[2, 4]
        input %y: f32[2, 4]
        input %z: f32[4]
        %u = exp(%z) : f32[4]
        %v = fused(%x, %y, %u) {kind = "elementwise"} : f32[2, 4] {
          ^(%v.arg0: f32[2, 4], %v.arg1: f32[2, 4], %v.arg2: f32[4]):
            %s = add(%v.arg0, %v.arg1) : f32[2, 4]
            %v.inner = mul(%s, %v.arg2) : f32[2, 4]
            yield %v.inner
        }
        %w = sqrt(%z) : f32[4]
        output v = %v
        output w = %w
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// The constant is also an output, so it stays outside as an operand.
  @Test func comparisonsSelectAndCastsFuseAndSharedConstantsStayOperands() throws {
    let before = """
      graph @g {
        input %x: f32[B, 4]
        %zero = constant() {dtype = f32, shape = [], value = 0.0} : f32[]
        %positive = gt(%x, %zero) : bool[B, 4]
        %clipped = select(%positive, %x, %zero) : f32[B, 4]
        %half = cast(%clipped) {to = f16} : f16[B, 4]
        output y = %half
        output z = %zero
      }
      """
    let expected = """
      graph @g {
        input %x: f32[B, 4]
        %zero = constant() {dtype = f32, shape = [], value = 0.0} : f32[]
        %half = fused(%x, %zero) {kind = "elementwise"} : f16[B, 4] {
          ^(%half.arg0: f32[B, 4], %half.arg1: f32[]):
            %positive = gt(%half.arg0, %half.arg1) : bool[B, 4]
            %clipped = select(%positive, %half.arg0, %half.arg1) : f32[B, 4]
            %half.inner = cast(%clipped) {to = f16} : f16[B, 4]
            yield %half.inner
        }
        output y = %half
        output z = %zero
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// {%a1, %a4} and {%b2, %b3} are each convex, but %a1 feeds %b3 while %b2 feeds %a4 through %r: contracting both would make a cycle, so the second is refused.
  @Test func twoGroupsThatWouldFeedEachOtherAreNotBothFormed() throws {
    let before = """
      graph @g {
        input %x: f32[4]
        input %y: f32[2, 4]
        %a1 = exp(%x) : f32[4]
        %b2 = exp(%y) : f32[2, 4]
        %b3 = add(%b2, %a1) : f32[2, 4]
        %r = reduce_sum(%b2) {axes = [0], keepdims = false} : f32[4]
        %a4 = add(%a1, %r) : f32[4]
        output a = %a4
        output b = %b3
      }
      """
    let expected = """
      graph @g {
        input %x: f32[4]
        input %y: f32[2, 4]
        %b2 = exp(%y) : f32[2, 4]
        %r = reduce_sum(%b2) {axes = [0], keepdims = false} : f32[4]
        %a4, %a1 = fused(%x, %r) {kind = "elementwise"} : (f32[4], f32[4]) {
          ^(%a4.arg0: f32[4], %a4.arg1: f32[4]):
            %a1.inner = exp(%a4.arg0) : f32[4]
            %a4.inner = add(%a1.inner, %a4.arg1) : f32[4]
            yield %a4.inner, %a1.inner
        }
        %b3 = add(%b2, %a1) : f32[2, 4]
        output a = %a4
        output b = %b3
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }
}
