import IR

/// Every floating-point value and dtype attribute becomes f64: the same graph, computed as
/// exactly as the interpreter can. A precision report runs both and compares them node by node.
///
///     before                                        after
///     input %x: f32[B, 4]                           input %x: f64[B, 4]
///     %h = cast(%x) {to = bf16} : bf16[B, 4]        %h = cast(%x) {to = f64} : f64[B, 4]
///     %y = layer_norm(%h, %w, %b) : bf16[B, 4]      %y = layer_norm(%h, %w, %b) : f64[B, 4]
///
/// Value ids, names and node order are unchanged, so a value of one graph is found in the
/// other by its id. Integer and boolean values stay as they are.
public let widenToF64 = Pass(
  name: "widen-to-f64", summary: "every floating-point value and dtype attribute to f64 (the reference of a precision report)",
  details: """
    The same graph, computed as exactly as the interpreter can: `asrc grad --precision-report` \
    runs a graph and its widened twin on the same inputs and compares them node by node. Value \
    ids, names and node order are unchanged, so a value of one graph is found in the other by \
    its id. Integer and boolean values stay as they are. Not part of any default pipeline.
    """,
  examples: [
    PassExample(
      "Values and cast targets widen",
      before: """
        graph @g {
          input %x: f32[B, 4]
          %h = cast(%x) {to = bf16} : bf16[B, 4]
          %y = exp(%h) : bf16[B, 4]
          output y = %y
        }
        """,
      after: """
        graph @g {
          input %x: f64[B, 4]
          %h = cast(%x) {to = f64} : f64[B, 4]
          %y = exp(%h) : f64[B, 4]
          output y = %y
        }

        """)
  ]
) { graph in
  var result = graph
  for index in result.values.indices where result.values[index].type.dtype.isFloatingPoint {
    result.values[index].type = result.values[index].type.with(dtype: .f64)
  }
  result.nodes = result.nodes.map(widened)
  return result
}

private func widened(_ node: Node) -> Node {
  var copy = node
  for (key, value) in node.attributes.values {
    if case .dtype(let dtype) = value, dtype.isFloatingPoint { copy.attributes[key] = .dtype(.f64) }
  }
  if var region = node.region {
    region.nodes = region.nodes.map(widened)
    copy.region = region
  }
  return copy
}
