import IR

/// Fuses reductions (layer and group norms, softmax, reduce_*) with the elementwise ops before
/// and after them over the same rows, and with the other reductions those rows feed.
///
///     before                                         after
///     %s = add(%x, %r) : f32[2, 8]                   %n, %s = fused(%x, %r, %w, %b) {kind = "reduction"} : (f32[2, 8], f32[2, 8]) {
///     %n = layer_norm(%s, %w, %b) : f32[2, 8]          ^(…):
///     %u = add(%s, %n) : f32[2, 8]   (outside)           %s.inner = add(%n.arg0, %n.arg1) : f32[2, 8]
///                                                        %n.inner = layer_norm(%s.inner, %n.arg2, %n.arg3) : f32[2, 8]
///                                                        yield %n.inner, %s.inner
///                                                    }
///
/// The residual sum the next layer reads leaves the region as a second result. A norm's
/// backward (row statistics, dx, and the column sums dγ and dβ) becomes one region with three
/// results, sharing x̂ instead of computing it twice.
public let fuseReductions = Pass(
  name: "fuse-reductions", summary: "fuse reductions with their elementwise prologue and epilogue over the same rows (multi-result where shared)",
  details: """
    A reduction defines rows: the last axis of a layer norm or softmax, the trailing axes a \
    reduce_* sums over (a sum over the leading axes, a column sum, names its rows by the axes \
    it keeps), a group norm's channel groups. The elementwise ops over the full shape or over \
    one value per row (the statistics), further reductions along the same rows, and column \
    sums across them join the reduction in one `fused` node of kind "reduction": one loop nest \
    over the rows, the shape of a fused residual add + layer norm, of scale + mask + softmax in \
    attention, and of a norm's backward (mean, variance, x̂, dx, and dγ and dβ accumulated \
    across rows, sharing x̂). Column sums of a value the region already reads join too (dβ sums \
    the same dy that dx reads). Values read outside become extra results: the residual sum the \
    next layer adds to, or the three gradients of a norm's backward. Group norm admits only \
    full-shape ops (its rows are channel groups). Groups stay convex, and a lone reduction is \
    left alone.
    """,
  examples: [
    PassExample(
      "Residual add and layer norm; the sum is read again",
      before: """
        graph @g {
          input %x: f32[2, 8]
          input %r: f32[2, 8]
          param %w: f32[8]
          param %b: f32[8]
          %s = add(%x, %r) : f32[2, 8]
          %n = layer_norm(%s, %w, %b) {eps = 1e-05} : f32[2, 8]
          %p = transpose(%n) {perm = [1, 0]} : f32[8, 2]
          %q = transpose(%s) {perm = [1, 0]} : f32[8, 2]
          %u = add(%p, %q) : f32[8, 2]
          output y = %u
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 8]
          input %r: f32[2, 8]
          param %w: f32[8]
          param %b: f32[8]
          %n, %s = fused(%x, %r, %w, %b) {kind = "reduction"} : (f32[2, 8], f32[2, 8]) {
            ^(%n.arg0: f32[2, 8], %n.arg1: f32[2, 8], %n.arg2: f32[8], %n.arg3: f32[8]):
              %s.inner = add(%n.arg0, %n.arg1) : f32[2, 8]
              %n.inner = layer_norm(%s.inner, %n.arg2, %n.arg3) {eps = 1e-05} : f32[2, 8]
              yield %n.inner, %s.inner
          }
          %p = transpose(%n) {perm = [1, 0]} : f32[8, 2]
          %q = transpose(%s) {perm = [1, 0]} : f32[8, 2]
          %u = add(%p, %q) : f32[8, 2]
          output y = %u
        }

        """),
    PassExample(
      "Scale, mask and softmax over attention scores",
      before: """
        graph @g {
          input %scores: f32[2, 4, 4]
          input %mask: f32[2, 1, 4]
          %c = constant() {dtype = f32, shape = [], value = 0.125} : f32[]
          %scaled = mul(%scores, %c) : f32[2, 4, 4]
          %masked = add(%scaled, %mask) : f32[2, 4, 4]
          %p = softmax(%masked) {axis = 2} : f32[2, 4, 4]
          output p = %p
        }
        """,
      after: """
        graph @g {
          input %scores: f32[2, 4, 4]
          input %mask: f32[2, 1, 4]
          %p = fused(%scores, %mask) {kind = "reduction"} : f32[2, 4, 4] {
            ^(%p.arg0: f32[2, 4, 4], %p.arg1: f32[2, 1, 4]):
              %c = constant() {dtype = f32, shape = [], value = 0.125} : f32[]
              %scaled = mul(%p.arg0, %c) : f32[2, 4, 4]
              %masked = add(%scaled, %p.arg1) : f32[2, 4, 4]
              %p.inner = softmax(%masked) {axis = 2} : f32[2, 4, 4]
              yield %p.inner
          }
          output p = %p
        }

        """),
  ]
) { graph in
  let index = FusionGraph(graph)
  var taken: Set<Int> = []
  var groups: [FusionGroup] = []
  for seed in graph.nodes.indices where !taken.contains(seed) {
    guard let space = RowSpace(of: graph.nodes[seed], in: graph) else { continue }
    let members = index.grow([seed], taken: taken, neighbours: { member in
      // Producers and consumers, and column sums of what the member reads (siblings: dβ of
      // the dy that dx reads).
      let siblings = graph.nodes[member].operands.flatMap { index.users[$0] ?? [] }.filter { space.isColumnSum(graph.nodes[$0], in: graph) }
      return index.adjacent(member) + siblings
    }) { space.admits(graph.nodes[$0], in: graph) }
    guard members.count > 1 else { continue }
    taken.formUnion(members)
    groups.append(FusionGroup(members: members, kind: "reduction"))
  }
  return RegionOutlining.outline(groups, in: index)
}
