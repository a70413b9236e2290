import IR
import Passes
import Testing

/// Before/Expected text tests for `fuseEpilogues` edge cases (its documented examples run in PassExampleTests).
@Suite struct FuseEpiloguesTests {
  func run(_ before: String) throws -> String {
    let (after, _) = try PassManager(passes: [fuseEpilogues]).run(try Parser.parseAndVerify(before))
    return Printer.print(after)
  }

  /// The reshape of the bias is not elementwise, so it stays outside and the region reads its result.
  @Test func convolutionBiasAndGeluFormOneRegionOpeningWithTheConvolution() throws {
    let before = """
      graph @g {
        input %x: f32[B, 2, S]
        param %w: f32[4, 2, 3]
        param %b: f32[4]
        %c = conv1d(%x, %w) {stride = 1, padding = 1, dilation = 1, groups = 1} : f32[B, 4, S]
        %bias = reshape(%b) {shape = [4, 1]} : f32[4, 1]
        %cb = add(%c, %bias) : f32[B, 4, S]
        %g = gelu(%cb) : f32[B, 4, S]
        output y = %g
      }
      """
    let expected = """
      graph @g {
        input %x: f32[B, 2, S]
        param %w: f32[4, 2, 3]
        param %b: f32[4]
        %bias = reshape(%b) {shape = [4, 1]} : f32[4, 1]
        %g = fused(%x, %w, %bias) {kind = "epilogue"} : f32[B, 4, S] {
          ^(%g.arg0: f32[B, 2, S], %g.arg1: f32[4, 2, 3], %g.arg2: f32[4, 1]):
            %c = conv1d(%g.arg0, %g.arg1) {stride = 1, padding = 1, dilation = 1, groups = 1} : f32[B, 4, S]
            %cb = add(%c, %g.arg2) : f32[B, 4, S]
            %g.inner = gelu(%cb) : f32[B, 4, S]
            yield %g.inner
        }
        output y = %g
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }

  /// The add broadcasts to a larger shape than the product, and the second matmul is not elementwise.
  @Test func epiloguesOfAnotherShapeAndFurtherContractionsAreLeftAlone() throws {
    let before = """
      graph @g {
        input %x: f32[3, 3]
        input %z: f32[2, 3, 3]
        %p = matmul(%x, %x) : f32[3, 3]
        %q = add(%p, %z) : f32[2, 3, 3]
        %m = matmul(%x, %p) : f32[3, 3]
        output q = %q
        output m = %m
      }
      """
    let expected = """
      graph @g {
        input %x: f32[3, 3]
        input %z: f32[2, 3, 3]
        %p = matmul(%x, %x) : f32[3, 3]
        %q = add(%p, %z) : f32[2, 3, 3]
        %m = matmul(%x, %p) : f32[3, 3]
        output q = %q
        output m = %m
      }

      """
    #expect(try run(before) == expected)
    // A second run finds nothing more to fuse.
    #expect(try run(expected) == expected)
  }
}
