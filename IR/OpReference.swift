/// The op reference in Markdown, generated from the signatures so that docs/ir.md cannot
/// drift from the code (a test compares them).
public enum OpReference {
  public static func markdown() -> String {
    var out = "| op | operands | attributes | type rule | meaning |\n|---|---|---|---|---|\n"
    for op in Op.allCases {
      let signature = op.signature
      var operands = signature.operands.enumerated().map { index, name in
        index >= signature.operands.count - signature.optionalOperands ? name + "?" : name
      }
      if signature.isVariadic, let last = operands.popLast() { operands.append(last + "…") }
      let attributes = signature.attributes.map { spec in
        var text = "\(spec.name): \(spec.kind)"
        if let allowed = spec.allowedStrings { text += " (" + allowed.joined(separator: "/") + ")" }
        if let value = spec.defaultValue { text += " = \(value)" }
        return text
      }
      let cells = [
        "`\(op.rawValue)`", operands.joined(separator: ", "), attributes.joined(separator: "; "),
        signature.typeRuleText, signature.summary + (signature.hasRegion ? " (has a region)" : ""),
      ]
      out += "| " + cells.map { $0.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }.joined(separator: " | ") + " |\n"
    }
    return out
  }
}
