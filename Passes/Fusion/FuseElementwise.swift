import IR

/// Groups connected elementwise ops over one iteration space into `fused` regions.
///
///     before                                    after
///     %s = add(%x, %b) : f32[2, 4]              %t = fused(%x, %b) {kind = "elementwise"} : f32[2, 4] {
///     %t = tanh(%s) : f32[2, 4]                   ^(%t.arg0: f32[2, 4], %t.arg1: f32[4]):
///     output y = %t                                 %s = add(%t.arg0, %t.arg1) : f32[2, 4]
///                                                   %t.inner = tanh(%s) : f32[2, 4]
///                                                   yield %t.inner
///                                               }
///                                               output y = %t
///
/// A value a member computes that something outside also reads becomes an extra result of the
/// region rather than being computed twice. Groups that would both feed and read an outside
/// node are not formed (the region could not run as one step).
public let fuseElementwise = Pass(
  name: "fuse-elementwise", summary: "fuse chains and DAGs of elementwise ops into one region per iteration space",
  details: """
    Every elementwise op (unary maths, binary arithmetic and comparisons with NumPy \
    broadcasting, select, cast) whose result has the same shape as a neighbour's joins that \
    neighbour's group, growing through producers and consumers alike, so a whole DAG over one \
    iteration space becomes one `fused` node of kind "elementwise": one loop nest, reading each \
    operand once (smaller operands broadcast) and writing only the values something outside \
    reads. Such a value, when it is not the last, becomes an extra result of the region \
    (multi-result) instead of being recomputed or left outside. A node joins only while the \
    group stays convex: no outside node may both read from and feed the group, or the region \
    could not run as one step. Scalar constants used only inside move in; a lone elementwise \
    op is left as it is. Run after fuse-reductions and fuse-epilogues, which claim the ops \
    that belong with a reduction or a contraction.
    """,
  examples: [
    PassExample(
      "A chain with a broadcast operand and a scalar constant",
      before: """
        graph @g {
          input %x: f32[2, 4]
          param %b: f32[4]
          %half = constant() {dtype = f32, shape = [], value = 0.5} : f32[]
          %s = add(%x, %b) : f32[2, 4]
          %m = mul(%s, %half) : f32[2, 4]
          %t = tanh(%m) : f32[2, 4]
          output y = %t
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 4]
          param %b: f32[4]
          %t = fused(%x, %b) {kind = "elementwise"} : f32[2, 4] {
            ^(%t.arg0: f32[2, 4], %t.arg1: f32[4]):
              %s = add(%t.arg0, %t.arg1) : f32[2, 4]
              %half = constant() {dtype = f32, shape = [], value = 0.5} : f32[]
              %m = mul(%s, %half) : f32[2, 4]
              %t.inner = tanh(%m) : f32[2, 4]
              yield %t.inner
          }
          output y = %t
        }

        """),
    PassExample(
      "A value also read outside becomes a second result",
      before: """
        graph @g {
          input %x: f32[4]
          param %w: f32[4, 4]
          %e = exp(%x) : f32[4]
          %n = neg(%e) : f32[4]
          %r = reshape(%e) {shape = [1, 4]} : f32[1, 4]
          %p = matmul(%r, %w) : f32[1, 4]
          output y = %n
          output z = %p
        }
        """,
      after: """
        graph @g {
          input %x: f32[4]
          param %w: f32[4, 4]
          %n, %e = fused(%x) {kind = "elementwise"} : (f32[4], f32[4]) {
            ^(%n.arg0: f32[4]):
              %e.inner = exp(%n.arg0) : f32[4]
              %n.inner = neg(%e.inner) : f32[4]
              yield %n.inner, %e.inner
          }
          %r = reshape(%e) {shape = [1, 4]} : f32[1, 4]
          %p = matmul(%r, %w) : f32[1, 4]
          output y = %n
          output z = %p
        }

        """),
  ]
) { graph in
  let index = FusionGraph(graph)
  var taken: Set<Int> = []
  var groups: [FusionGroup] = []
  for seed in graph.nodes.indices where !taken.contains(seed) && index.isElementwise(seed, shape: index.shape(of: seed)) {
    let space = index.shape(of: seed)
    let members = index.grow([seed], taken: taken, neighbours: index.adjacent) { index.isElementwise($0, shape: space) }
    guard members.count > 1 else { continue }
    taken.formUnion(members)
    groups.append(FusionGroup(members: members, kind: "elementwise"))
  }
  return RegionOutlining.outline(groups, in: index)
}
