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

  /// Group norm rows are channel groups: GELU joins, the per-channel mean over time after it (a
  /// row value of another space) starts a region of its own.
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

  /// With the forward recomputed in the backward (gradient checkpointing), dγ = Σ dy·x̂ and
  /// dβ = Σ dy over batch and time join the group norm's region: only dy·w, which the
  /// statistics read, leaves it at full size.
  @Test func recomputedGroupNormSumsDgammaAndDbetaInItsRegion() throws {
    let before = """
      graph @g {
        input %x: f32[B, 4, S]
        input %d: f32[B, 4, S]
        input %xhat: f32[B, 4, S]
        param %w: f32[4]
        param %b: f32[4]
        %n = group_norm(%x, %w, %b) {groups = 4, eps = 1e-05} : f32[B, 4, S]
        %dy = gelu_grad(%n, %d) : f32[B, 4, S]
        %wc = reshape(%w) {shape = [1, 4, 1]} : f32[1, 4, 1]
        %dyw = mul(%dy, %wc) : f32[B, 4, S]
        %p = mul(%dy, %xhat) : f32[B, 4, S]
        %dg = reduce_sum(%p) {axes = [0, 2], keepdims = false} : f32[4]
        %db = reduce_sum(%dy) {axes = [0, 2], keepdims = false} : f32[4]
        output dyw = %dyw
        output dg = %dg
        output db = %db
      }
      """
    let expected = """
      graph @g {
        input %x: f32[B, 4, S]
        input %d: f32[B, 4, S]
        input %xhat: f32[B, 4, S]
        param %w: f32[4]
        param %b: f32[4]
        %wc = reshape(%w) {shape = [1, 4, 1]} : f32[1, 4, 1]
        %db, %dyw, %dg = fused(%x, %w, %b, %d, %wc, %xhat) {kind = "reduction"} : (f32[4], f32[B, 4, S], f32[4]) {
          ^(%db.arg0: f32[B, 4, S], %db.arg1: f32[4], %db.arg2: f32[4], %db.arg3: f32[B, 4, S], %db.arg4: f32[1, 4, 1], %db.arg5: f32[B, 4, S]):
            %n = group_norm(%db.arg0, %db.arg1, %db.arg2) {groups = 4, eps = 1e-05} : f32[B, 4, S]
            %dy = gelu_grad(%n, %db.arg3) : f32[B, 4, S]
            %dyw.inner = mul(%dy, %db.arg4) : f32[B, 4, S]
            %p = mul(%dy, %db.arg5) : f32[B, 4, S]
            %dg.inner = reduce_sum(%p) {axes = [0, 2], keepdims = false} : f32[4]
            %db.inner = reduce_sum(%dy) {axes = [0, 2], keepdims = false} : f32[4]
            yield %db.inner, %dyw.inner, %dg.inner
        }
        output dyw = %dyw
        output dg = %dg
        output db = %db
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// A group norm's backward as autodiff writes it (statistics over the [N, groups, C/groups,
  /// L] view, dγ and dβ over [N, C, L]): the statistics and dx form one region, and the
  /// column sums another that computes dy·x̂ as it sums. Grown whole, the column sums' region
  /// would take dy and dy·w too and feed the statistics that feed it (through x̂), a cycle;
  /// it grows again one op at a time and keeps what stays acyclic instead of being dropped.
  @Test func groupNormColumnSumsComputeTheirProductInTheirRegion() throws {
    let before = """
      graph @g {
        input %x: f32[B, 4, S]
        input %n: f32[B, 4, S]
        input %d: f32[B, 4, S]
        param %w: f32[4]
        %dy = gelu_grad(%n, %d) : f32[B, 4, S]
        %x4 = reshape(%x) {shape = [B, 4, 1, S]} : f32[B, 4, 1, S]
        %mean = reduce_mean(%x4) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
        %c = sub(%x4, %mean) : f32[B, 4, 1, S]
        %sq = mul(%c, %c) : f32[B, 4, 1, S]
        %var = reduce_mean(%sq) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
        %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
        %ve = add(%var, %eps) : f32[B, 4, 1, 1]
        %inv = rsqrt(%ve) : f32[B, 4, 1, 1]
        %xhat = mul(%c, %inv) : f32[B, 4, 1, S]
        %wc = reshape(%w) {shape = [1, 4, 1]} : f32[1, 4, 1]
        %dyw = mul(%dy, %wc) : f32[B, 4, S]
        %dyw4 = reshape(%dyw) {shape = [B, 4, 1, S]} : f32[B, 4, 1, S]
        %m1 = reduce_mean(%dyw4) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
        %p = mul(%dyw4, %xhat) : f32[B, 4, 1, S]
        %m2 = reduce_mean(%p) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
        %t1 = sub(%dyw4, %m1) : f32[B, 4, 1, S]
        %t2 = mul(%xhat, %m2) : f32[B, 4, 1, S]
        %t3 = sub(%t1, %t2) : f32[B, 4, 1, S]
        %dx4 = mul(%t3, %inv) : f32[B, 4, 1, S]
        %dx = reshape(%dx4) {shape = [B, 4, S]} : f32[B, 4, S]
        %xhat3 = reshape(%xhat) {shape = [B, 4, S]} : f32[B, 4, S]
        %gx = mul(%dy, %xhat3) : f32[B, 4, S]
        %dw = reduce_sum(%gx) {axes = [0, 2], keepdims = false} : f32[4]
        %db = reduce_sum(%dy) {axes = [0, 2], keepdims = false} : f32[4]
        output dx = %dx
        output dw = %dw
        output db = %db
      }
      """
    let expected = """
      graph @g {
        input %x: f32[B, 4, S]
        input %n: f32[B, 4, S]
        input %d: f32[B, 4, S]
        param %w: f32[4]
        %dy = gelu_grad(%n, %d) : f32[B, 4, S]
        %x4 = reshape(%x) {shape = [B, 4, 1, S]} : f32[B, 4, 1, S]
        %wc = reshape(%w) {shape = [1, 4, 1]} : f32[1, 4, 1]
        %dyw = mul(%dy, %wc) : f32[B, 4, S]
        %dyw4 = reshape(%dyw) {shape = [B, 4, 1, S]} : f32[B, 4, 1, S]
        %dx4, %xhat = fused(%x4, %dyw4) {kind = "reduction"} : (f32[B, 4, 1, S], f32[B, 4, 1, S]) {
          ^(%dx4.arg0: f32[B, 4, 1, S], %dx4.arg1: f32[B, 4, 1, S]):
            %mean = reduce_mean(%dx4.arg0) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
            %c = sub(%dx4.arg0, %mean) : f32[B, 4, 1, S]
            %sq = mul(%c, %c) : f32[B, 4, 1, S]
            %var = reduce_mean(%sq) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
            %eps = constant() {dtype = f32, shape = [], value = 1e-05} : f32[]
            %ve = add(%var, %eps) : f32[B, 4, 1, 1]
            %inv = rsqrt(%ve) : f32[B, 4, 1, 1]
            %xhat.inner = mul(%c, %inv) : f32[B, 4, 1, S]
            %m1 = reduce_mean(%dx4.arg1) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
            %p = mul(%dx4.arg1, %xhat.inner) : f32[B, 4, 1, S]
            %m2 = reduce_mean(%p) {axes = [2, 3], keepdims = true} : f32[B, 4, 1, 1]
            %t1 = sub(%dx4.arg1, %m1) : f32[B, 4, 1, S]
            %t2 = mul(%xhat.inner, %m2) : f32[B, 4, 1, S]
            %t3 = sub(%t1, %t2) : f32[B, 4, 1, S]
            %dx4.inner = mul(%t3, %inv) : f32[B, 4, 1, S]
            yield %dx4.inner, %xhat.inner
        }
        %dx = reshape(%dx4) {shape = [B, 4, S]} : f32[B, 4, S]
        %xhat3 = reshape(%xhat) {shape = [B, 4, S]} : f32[B, 4, S]
        %db, %dw = fused(%dy, %xhat3) {kind = "reduction"} : (f32[4], f32[4]) {
          ^(%db.arg0: f32[B, 4, S], %db.arg1: f32[B, 4, S]):
            %gx = mul(%db.arg0, %db.arg1) : f32[B, 4, S]
            %dw.inner = reduce_sum(%gx) {axes = [0, 2], keepdims = false} : f32[4]
            %db.inner = reduce_sum(%db.arg0) {axes = [0, 2], keepdims = false} : f32[4]
            yield %db.inner, %dw.inner
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

  /// A sum over a middle axis names no rows of a loop nest, and a maximum over batch and time
  /// is no column sum: both stay outside, and their operand is not fused.
  @Test func sumsOverMiddleAxesAndColumnMaximaAreNotFused() throws {
    let before = """
      graph @g {
        input %x: f32[B, 4, S]
        input %y: f32[B, 4, S]
        %p = mul(%x, %y) : f32[B, 4, S]
        %s = reduce_sum(%p) {axes = [1], keepdims = false} : f32[B, S]
        %m = reduce_max(%p) {axes = [0, 2], keepdims = false} : f32[4]
        output s = %s
        output m = %m
      }
      """
    #expect(try run(before) == Printer.print(try Parser.parseAndVerify(before)))
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
