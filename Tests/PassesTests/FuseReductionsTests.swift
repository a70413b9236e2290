import IR
import Passes
import Testing

/// Before/Expected text tests for `fuseReductions` edge cases (its documented examples run in PassExampleTests).
@Suite struct FuseReductionsTests {
  func run(_ before: String) throws -> String {
    let (after, _) = try PassManager(passes: [fuseReductions]).run(try Parser.parseAndVerify(before))
    return Printer.print(after)
  }

  /// The statistics, x̂, dx, and the column sums dγ and dβ (a sibling of dx reading the same dy) share one loop nest.
  @Test func layerNormBackwardBecomesOneRegionWithDxDgammaAndDbeta() throws {
    let before = """
      graph @g {
        input %x: f32[2, 4]
        input %dy: f32[2, 4]
        param %w: f32[4]
        %mean = reduce_mean(%x) {axes = [1], keepdims = true} : f32[2, 1]
        %c = sub(%x, %mean) : f32[2, 4]
        %sq = mul(%c, %c) : f32[2, 4]
        %var = reduce_mean(%sq) {axes = [1], keepdims = true} : f32[2, 1]
        %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
        %ve = add(%var, %eps) : f32[2, 1]
        %inv = rsqrt(%ve) : f32[2, 1]
        %xhat = mul(%c, %inv) : f32[2, 4]
        %dyhat = mul(%dy, %w) : f32[2, 4]
        %m1 = reduce_mean(%dyhat) {axes = [1], keepdims = true} : f32[2, 1]
        %p = mul(%dyhat, %xhat) : f32[2, 4]
        %m2 = reduce_mean(%p) {axes = [1], keepdims = true} : f32[2, 1]
        %t1 = sub(%dyhat, %m1) : f32[2, 4]
        %t2 = mul(%xhat, %m2) : f32[2, 4]
        %t3 = sub(%t1, %t2) : f32[2, 4]
        %dx = mul(%t3, %inv) : f32[2, 4]
        %gx = mul(%dy, %xhat) : f32[2, 4]
        %dw = reduce_sum(%gx) {axes = [0], keepdims = false} : f32[4]
        %db = reduce_sum(%dy) {axes = [0], keepdims = false} : f32[4]
        output dx = %dx
        output dw = %dw
        output db = %db
      }
      """
    let expected = """
      graph @g {
        input %x: f32[2, 4]
        input %dy: f32[2, 4]
        param %w: f32[4]
        %db, %dx, %dw = fused(%x, %dy, %w) {kind = "reduction"} : (f32[4], f32[2, 4], f32[4]) {
          ^(%db.arg0: f32[2, 4], %db.arg1: f32[2, 4], %db.arg2: f32[4]):
            %mean = reduce_mean(%db.arg0) {axes = [1], keepdims = true} : f32[2, 1]
            %c = sub(%db.arg0, %mean) : f32[2, 4]
            %sq = mul(%c, %c) : f32[2, 4]
            %var = reduce_mean(%sq) {axes = [1], keepdims = true} : f32[2, 1]
            %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
            %ve = add(%var, %eps) : f32[2, 1]
            %inv = rsqrt(%ve) : f32[2, 1]
            %xhat = mul(%c, %inv) : f32[2, 4]
            %dyhat = mul(%db.arg1, %db.arg2) : f32[2, 4]
            %m1 = reduce_mean(%dyhat) {axes = [1], keepdims = true} : f32[2, 1]
            %p = mul(%dyhat, %xhat) : f32[2, 4]
            %m2 = reduce_mean(%p) {axes = [1], keepdims = true} : f32[2, 1]
            %t1 = sub(%dyhat, %m1) : f32[2, 4]
            %t2 = mul(%xhat, %m2) : f32[2, 4]
            %t3 = sub(%t1, %t2) : f32[2, 4]
            %dx.inner = mul(%t3, %inv) : f32[2, 4]
            %gx = mul(%db.arg1, %xhat) : f32[2, 4]
            %dw.inner = reduce_sum(%gx) {axes = [0], keepdims = false} : f32[4]
            %db.inner = reduce_sum(%db.arg1) {axes = [0], keepdims = false} : f32[4]
            yield %db.inner, %dx.inner, %dw.inner
        }
        output dx = %dx
        output dw = %dw
        output db = %db
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// Group norm rows are channel groups: GELU joins, the per-channel mean after it starts a region of its own.
  @Test func groupNormTakesOnlyFullShapeWork() throws {
    let before = """
      graph @g {
        input %x: f32[B, 4, S]
        param %w: f32[4]
        param %b: f32[4]
        %n = group_norm(%x, %w, %b) {groups = 2, eps = 1e-05} : f32[B, 4, S]
        %g = gelu(%n) : f32[B, 4, S]
        %m = reduce_mean(%g) {axes = [2], keepdims = true} : f32[B, 4, 1]
        %d = sub(%g, %m) : f32[B, 4, S]
        output y = %d
      }
      """
    let expected = """
      graph @g {
        input %x: f32[B, 4, S]
        param %w: f32[4]
        param %b: f32[4]
        %g = fused(%x, %w, %b) {kind = "reduction"} : f32[B, 4, S] {
          ^(%g.arg0: f32[B, 4, S], %g.arg1: f32[4], %g.arg2: f32[4]):
            %n = group_norm(%g.arg0, %g.arg1, %g.arg2) {groups = 2, eps = 1e-05} : f32[B, 4, S]
            %g.inner = gelu(%n) : f32[B, 4, S]
            yield %g.inner
        }
        %d = fused(%g) {kind = "reduction"} : f32[B, 4, S] {
          ^(%d.arg0: f32[B, 4, S]):
            %m = reduce_mean(%d.arg0) {axes = [2], keepdims = true} : f32[B, 4, 1]
            %d.inner = sub(%d.arg0, %m) : f32[B, 4, S]
            yield %d.inner
        }
        output y = %d
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// Only a softmax along the last axis is a row; the one along axis 0 stays outside.
  @Test func softmaxOverALeadingAxisIsNotARowReduction() throws {
    let before = """
      graph @g {
        input %x: f32[3, 5]
        %e = exp(%x) : f32[3, 5]
        %s = softmax(%e) {axis = 0} : f32[3, 5]
        %t = log_softmax(%e) {axis = 1} : f32[3, 5]
        %u = add(%s, %t) : f32[3, 5]
        output y = %u
      }
      """
    let expected = """
      graph @g {
        input %x: f32[3, 5]
        %t, %e = fused(%x) {kind = "reduction"} : (f32[3, 5], f32[3, 5]) {
          ^(%t.arg0: f32[3, 5]):
            %e.inner = exp(%t.arg0) : f32[3, 5]
            %t.inner = log_softmax(%e.inner) {axis = 1} : f32[3, 5]
            yield %t.inner, %e.inner
        }
        %s = softmax(%e) {axis = 0} : f32[3, 5]
        %u = add(%s, %t) : f32[3, 5]
        output y = %u
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }
}
