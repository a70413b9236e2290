import IR

/// Moves the elementwise ops that finish a contraction (bias, activation, residual add,
/// scale) into one region with it.
///
///     before                                    after
///     %h = linear(%x, %w, %b) : f32[2, 8]       %g = fused(%x, %w, %b) {kind = "epilogue"} : f32[2, 8] {
///     %g = gelu(%h) : f32[2, 8]                   ^(%g.arg0: …, %g.arg1: …, %g.arg2: …):
///     output y = %g                                 %h = linear(%g.arg0, %g.arg1, %g.arg2) : f32[2, 8]
///                                                   %g.inner = gelu(%h) : f32[2, 8]
///                                                   yield %g.inner
///                                               }
///
/// The region's first op is the contraction; the rest are elementwise over its result's shape.
public let fuseEpilogues = Pass(
  name: "fuse-epilogues", summary: "fuse elementwise epilogues (bias, GELU, residual add, scale) into their matmul, linear or conv",
  details: """
    A contraction (matmul, linear, conv1d and their gradient ops) and the elementwise ops that \
    follow it over its result's shape (a bias or residual add, GELU, a scale, a dropout mask) \
    become one `fused` node of kind "epilogue" whose first op is the contraction: a backend \
    applies the epilogue to each output tile while it is still in cache instead of writing the \
    product and reading it back. The epilogue grows through consumers (other operands come \
    from outside, broadcast as usual); a value also read outside, the contraction's output \
    itself included (the backward pass reads a GELU's input), becomes an extra result. A \
    contraction with no elementwise consumer is left alone.
    """,
  examples: [
    PassExample(
      "Linear, GELU and a residual add",
      before: """
        graph @g {
          input %x: f32[2, 8]
          param %w: f32[8, 8]
          param %b: f32[8]
          %h = linear(%x, %w, %b) : f32[2, 8]
          %g = gelu(%h) : f32[2, 8]
          %r = add(%x, %g) : f32[2, 8]
          output y = %r
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 8]
          param %w: f32[8, 8]
          param %b: f32[8]
          %r = fused(%x, %w, %b) {kind = "epilogue"} : f32[2, 8] {
            ^(%r.arg0: f32[2, 8], %r.arg1: f32[8, 8], %r.arg2: f32[8]):
              %h = linear(%r.arg0, %r.arg1, %r.arg2) : f32[2, 8]
              %g = gelu(%h) : f32[2, 8]
              %r.inner = add(%r.arg0, %g) : f32[2, 8]
              yield %r.inner
          }
          output y = %r
        }

        """),
    PassExample(
      "The product is also read outside: a second result",
      before: """
        graph @g {
          input %x: f32[2, 3, 4]
          input %y: f32[2, 4, 3]
          %p = matmul(%x, %y) : f32[2, 3, 3]
          %s = constant() {dtype = f32, shape = [], value = 0.125} : f32[]
          %q = mul(%p, %s) : f32[2, 3, 3]
          %m = reduce_max(%p) {axes = [2], keepdims = false} : f32[2, 3]
          output q = %q
          output m = %m
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 3, 4]
          input %y: f32[2, 4, 3]
          %q, %p = fused(%x, %y) {kind = "epilogue"} : (f32[2, 3, 3], f32[2, 3, 3]) {
            ^(%q.arg0: f32[2, 3, 4], %q.arg1: f32[2, 4, 3]):
              %p.inner = matmul(%q.arg0, %q.arg1) : f32[2, 3, 3]
              %s = constant() {dtype = f32, shape = [], value = 0.125} : f32[]
              %q.inner = mul(%p.inner, %s) : f32[2, 3, 3]
              yield %q.inner, %p.inner
          }
          %m = reduce_max(%p) {axes = [2], keepdims = false} : f32[2, 3]
          output q = %q
          output m = %m
        }

        """),
  ]
) { graph in
  let index = FusionGraph(graph)
  var taken: Set<Int> = []
  var groups: [FusionGroup] = []
  for seed in graph.nodes.indices where FusionOpClass.contractions.contains(graph.nodes[seed].op) {
    let space = index.shape(of: seed)
    let members = index.grow([seed], taken: taken, neighbours: index.consumers) { index.isElementwise($0, shape: space) }
    guard members.count > 1 else { continue }
    taken.formUnion(members)
    groups.append(FusionGroup(members: members, kind: "epilogue"))
  }
  return RegionOutlining.outline(groups, in: index)
}
