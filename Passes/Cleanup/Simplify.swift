import IR

/// Algebraic identities that remove or merge nodes without changing a bit of any value.
///
///     before                                             after
///     %a = transpose(%x) {perm = [0, 2, 1]}              %a = transpose(%x) {perm = [0, 2, 1]}
///     %b = transpose(%a) {perm = [0, 2, 1]}              %r = reshape(%x) {shape = [6, 4]}
///     %r = reshape(%b) {shape = [6, 4]}                  %s = reshape(%x) {shape = [2, 12]}
///     %s = reshape(%r) {shape = [2, 12]}                 output y = %s
///     output y = %s
///
/// The rules are a table (`simplificationRules`): x·1, x+0, x-0, x/1, 0-x, neg∘neg, layout ops
/// that change nothing, reshape∘reshape, transpose∘transpose, broadcast∘broadcast, reductions
/// over axes of size 1, and selects whose sides agree or whose condition is a constant. A value
/// replaces a node only when its type is the node's type, so x·1 where the 1 broadcasts x to a
/// larger shape stays. Nodes with regions are opaque. Dead nodes are left for `dce`.
public let simplify = Pass(
  name: "simplify",
  summary: "apply algebraic identities (x·1, x+0, reshape∘reshape, transpose∘transpose, …)",
  details: """
    A table of rewrite rules (`Passes/Cleanup/SimplificationRules.swift`), each an identity \
    that keeps every value bit for bit: x·1, 1·x, x + 0, x - 0, x / 1 and floor_div(x, 1) are \
    x; 0 - x is neg(x); neg(neg(x)) is x; a reshape, broadcast or cast to the type x already \
    has, an identity transpose, a slice of a whole axis, a pad by zero and a concat of one \
    operand are x; reshape∘reshape is one reshape, transpose∘transpose one transpose with the \
    composed permutation (and x when that is the identity), broadcast∘broadcast one \
    broadcast; a reduction over axes of size 1 is x or a reshape; select(c, x, x) and a \
    select on a constant condition are the chosen side. A value replaces a node only when its \
    type equals the node's, so x·1 where the 1 broadcasts x to a larger shape is kept. Rules \
    are applied to each node until none fits, in one forward sweep, so chains collapse in one \
    run. Nodes with regions are opaque; dead nodes are left for `dce`.
    """,
  examples: [
    PassExample(
      "Arithmetic identities, but not one that broadcasts",
      before: """
        graph @g {
          input %x: f32[2, 3]
          input %v: f32[3]
          %one = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
          %zero = constant() {dtype = f32, shape = [], value = 0.0} : f32[]
          %ones = constant() {dtype = f32, shape = [2, 3], value = 1.0} : f32[2, 3]
          %a = mul(%x, %one) : f32[2, 3]
          %b = add(%zero, %a) : f32[2, 3]
          %c = mul(%v, %ones) : f32[2, 3]
          %d = sub(%b, %c) : f32[2, 3]
          output y = %d
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 3]
          input %v: f32[3]
          %one = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
          %zero = constant() {dtype = f32, shape = [], value = 0.0} : f32[]
          %ones = constant() {dtype = f32, shape = [2, 3], value = 1.0} : f32[2, 3]
          %c = mul(%v, %ones) : f32[2, 3]
          %d = sub(%x, %c) : f32[2, 3]
          output y = %d
        }

        """),
    PassExample(
      "Layout chains collapse",
      before: """
        graph @g {
          input %x: f32[2, 3, 4]
          %a = transpose(%x) {perm = [0, 2, 1]} : f32[2, 4, 3]
          %b = transpose(%a) {perm = [0, 2, 1]} : f32[2, 3, 4]
          %r = reshape(%b) {shape = [6, 4]} : f32[6, 4]
          %s = reshape(%r) {shape = [2, 12]} : f32[2, 12]
          %t = transpose(%a) {perm = [2, 0, 1]} : f32[3, 2, 4]
          %u = cast(%t) {to = f32} : f32[3, 2, 4]
          output y = %s
          output z = %u
        }
        """,
      after: """
        graph @g {
          input %x: f32[2, 3, 4]
          %a = transpose(%x) {perm = [0, 2, 1]} : f32[2, 4, 3]
          %r = reshape(%x) {shape = [6, 4]} : f32[6, 4]
          %s = reshape(%x) {shape = [2, 12]} : f32[2, 12]
          %t = transpose(%x) {perm = [1, 0, 2]} : f32[3, 2, 4]
          output y = %s
          output z = %t
        }

        """),
  ]
) { graph in
  Simplifier.run(graph).graph
}

/// The sweep behind `simplify`, also reporting how often each rule fired.
public enum Simplifier {
  public static func run(_ graph: Graph) -> (graph: Graph, firings: [String: Int]) {
    var result = graph
    var replacements: [ValueID: ValueID] = [:]
    var definitions: [ValueID: Node] = [:]
    var firings: [String: Int] = [:]
    var kept: [Node] = []
    kept.reserveCapacity(graph.nodes.count)
    func resolved(_ value: ValueID) -> ValueID {
      var current = value
      while let next = replacements[current] { current = next }
      return current
    }
    nodes: for var node in graph.nodes {
      node.operands = node.operands.map(resolved)
      // Each replacement is a simpler node (fewer ops behind it), so this ends; the bound
      // only guards against a future rule pair that undoes each other.
      var rewrites = 0
      rewriting: while node.region == nil && rewrites < 16 {
        let context = SimplificationContext(graph: result, definitions: definitions)
        for rule in simplificationRules where rule.ops.contains(node.op) {
          guard let simplification = rule.rewrite(node, context) else { continue }
          firings[rule.name, default: 0] += 1
          switch simplification {
          case .forward(let value):
            replacements[node.result] = value
            continue nodes
          case .replace(let replacement):
            node = replacement
            rewrites += 1
            continue rewriting
          }
        }
        break
      }
      definitions[node.result] = node
      kept.append(node)
    }
    result.nodes = kept
    result.replaceUses(replacements)
    return (result, firings)
  }
}
