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
/// results, sharing x̂ instead of computing it twice. Column sums take in the elementwise work
/// that feeds them, so a product they sum (dγ = Σ dy·x̂ over batch and time) is never stored:
///
///     before                                             after
///     %dy = gelu_grad(%n, %d) : f32[B, 512, L]           %db, %dw = fused(%n, %d, %xhat) {kind = "reduction"} : (f32[512], f32[512]) {
///     %p = mul(%dy, %xhat) : f32[B, 512, L]                ^(…):
///     %dw = reduce_sum(%p) {axes = [0, 2]} : f32[512]        %dy = gelu_grad(%db.arg0, %db.arg1) : f32[B, 512, L]
///     %db = reduce_sum(%dy) {axes = [0, 2]} : f32[512]       %p = mul(%dy, %db.arg2) : f32[B, 512, L]
///                                                            %dw.inner = reduce_sum(%p) {axes = [0, 2]} : f32[512]
///                                                            %db.inner = reduce_sum(%dy) {axes = [0, 2]} : f32[512]
///                                                            yield %db.inner, %dw.inner
///                                                        }
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
    next layer adds to, or the three gradients of a norm's backward. A group norm's rows are \
    channel groups, which no per-row shape names: it admits full-shape ops and the column sums \
    over every axis but the channels (dγ and dβ, when the backward recomputes the group norm \
    under gradient checkpointing). A sum over batch and time that keeps the channels (dγ and \
    dβ as autodiff writes them) is such a space too, and takes in the full-shape elementwise \
    ops that compute what it sums: dy·x̂ is summed as it is computed instead of being stored \
    (500 MiB for base's first convolution at batch 8 × 10 s). Groups stay convex and take only \
    ops placed within 48 nodes of a member (the node order is the schedule: a forward layer \
    norm must not take in the backward's recomputation of its statistics, which reads only \
    forward values). A group that, grown whole, would feed a region formed before it that \
    feeds it back (the column sums would take dy·w, which the statistics read, and need x̂, \
    which they compute) grows again one op at a time, keeping each op only while the regions \
    stay acyclic. A lone reduction is left alone.
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
    PassExample(
      "A group norm recomputed in its backward sums dγ and dβ in its region",
      before: """
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
        """,
      after: """
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

        """),
  ]
) { graph in
  let index = FusionGraph(graph)
  var taken: Set<Int> = []
  var groups: [FusionGroup] = []
  for seed in graph.nodes.indices where !taken.contains(seed) {
    guard let space = RowSpace(of: graph.nodes[seed], in: graph) else { continue }
    let grown = index.growRegion(seed, taken: taken, beside: groups.map(\.members), neighbours: { member in
      // Producers and consumers, and column sums of what the member reads (siblings: dβ of
      // the dy that dx reads).
      let siblings = graph.nodes[member].operands.flatMap { index.users[$0] ?? [] }.filter { space.isColumnSum(graph.nodes[$0], in: graph) }
      return index.adjacent(member) + siblings
    }) { space.admits(graph.nodes[$0], in: graph) }
    guard let members = grown else { continue }
    taken.formUnion(members)
    groups.append(FusionGroup(members: members, kind: "reduction"))
  }
  return RegionOutlining.outline(groups, in: index)
}
