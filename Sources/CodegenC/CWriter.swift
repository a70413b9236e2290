import IR

/// Accumulates indented C text line by line.
final class CWriter {
  private(set) var text = ""
  private var depth = 0

  func line(_ content: String) {
    text += content.isEmpty ? "\n" : String(repeating: "  ", count: depth) + content + "\n"
  }

  /// Writes `header {` and indents what follows until `close()`.
  func open(_ header: String) {
    line(header.isEmpty ? "{" : header + " {")
    depth += 1
  }

  func close(_ trailer: String = "") {
    depth -= 1
    line("}" + trailer)
  }

  /// A `//` comment; IR names cannot end it early (no newlines survive).
  func comment(_ content: String) {
    line("// " + CNames.commentSafe(content))
  }
}

/// How IR names, dtypes and sizes are spelled in C.
enum CNames {
  /// An identifier made from an IR name: letters, digits and underscores only, never starting
  /// with a digit, at most 40 characters (a numeric prefix keeps identifiers unique).
  static func identifier(_ name: String) -> String {
    var result = ""
    for scalar in name.unicodeScalars.prefix(40) {
      let isAllowed = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
      result += isAllowed ? String(scalar) : "_"
    }
    return result.isEmpty ? "_" : result
  }

  static func commentSafe(_ text: String) -> String {
    String(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
      .replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "\\", with: "\\\\")
  }

  /// The C element type of a dtype: f16 and bf16 elements are their bit patterns, converted by
  /// the `HalfPrelude` helpers.
  static func type(_ dtype: DType) -> String {
    switch dtype {
    case .f32: "float"
    case .f64: "double"
    case .i64: "int64_t"
    case .i32: "int32_t"
    case .bool: "uint8_t"
    case .f16, .bf16: "uint16_t"
    }
  }

  static func isHalf(_ dtype: DType) -> Bool { dtype == .f16 || dtype == .bf16 }

  /// The prelude function widening a half dtype's bits to float, or rounding a float to them.
  static func widen(_ dtype: DType) -> String { dtype == .f16 ? "asrc_f16_to_f32" : "asrc_bf16_to_f32" }
  static func narrow(_ dtype: DType) -> String { dtype == .f16 ? "asrc_f32_to_f16" : "asrc_f32_to_bf16" }

  /// A C literal of a floating-point or integer value in a dtype, as the interpreter's fill
  /// converts it (f32 rounds, f16 and bf16 round through f32, integers truncate, bool is `!= 0`).
  static func literal(_ value: Double, _ dtype: DType) -> String {
    switch dtype {
    case .f32:
      let single = Float(value)
      if single.isNaN { return "NAN" }
      if single.isInfinite { return single < 0 ? "(-INFINITY)" : "INFINITY" }
      return "\(single)f"
    case .f16, .bf16:
      return "\(narrow(dtype))(\(literal(value, .f32)))"
    case .f64:
      if value.isNaN { return "((double)NAN)" }
      if value.isInfinite { return value < 0 ? "(-(double)INFINITY)" : "((double)INFINITY)" }
      return "\(value)"
    case .i64:
      guard value.isFinite, abs(value) < 9.2e18 else { return "INT64_C(0)" }
      let integer = Int64(value)
      return integer == Int64.min ? "INT64_MIN" : "INT64_C(\(integer))"
    case .i32:
      guard value.isFinite, abs(value) < 2.1e9 else { return "0" }
      return "((int32_t)\(Int32(value)))"
    case .bool: return value != 0 ? "1" : "0"
    }
  }

  /// A size as a C `int64_t` expression of the run-time symbols (`SYM_B`); `/` is floor
  /// division, spelled `asrc_floordiv`.
  static func dim(_ expression: DimExpr, symbols: [String: Int]) -> String {
    if let value = expression.constantValue { return "INT64_C(\(value))" }
    var parts: [String] = []
    for term in expression.terms {
      let atom: String
      switch term.atom {
      case .symbol(let name): atom = symbolMacro(name, symbols: symbols)
      case .floorDiv(let numerator, let divisor): atom = "asrc_floordiv(\(dim(numerator, symbols: symbols)), \(divisor))"
      }
      parts.append(term.coefficient == 1 ? atom : "\(term.coefficient) * \(atom)")
    }
    if expression.constant != 0 { parts.append("\(expression.constant)") }
    return "(" + parts.joined(separator: " + ") + ")"
  }

  /// The macro naming a symbol's run-time value: `SYM_<index>_<name>`.
  static func symbolMacro(_ name: String, symbols: [String: Int]) -> String {
    "SYM_\(symbols[name] ?? 0)_\(identifier(name))"
  }

  /// The constant a function keeps the run-time value of symbol number `index` in.
  static func sizeConstant(_ index: Int) -> String { "asrc_size_\(index)" }

  /// The declarations that copy the symbols' values from `ctx->sizes` into constants, one line
  /// each; with `usedIn`, only those of the symbols whose macro that code uses.
  static func sizeConstants(_ symbols: [String: Int], usedIn code: String? = nil) -> [String] {
    symbols.sorted(by: { $0.value < $1.value }).compactMap { name, index in
      if let code, !code.contains(symbolMacro(name, symbols: symbols)) { return nil }
      let constant = sizeConstant(index)
      return "const int64_t \(constant) = ctx->sizes[\(index)]; (void)\(constant);"
    }
  }

  /// The product of sizes as a C expression ("1" for none).
  static func product(_ dims: [String]) -> String {
    dims.isEmpty ? "INT64_C(1)" : dims.count == 1 ? dims[0] : "(" + dims.joined(separator: " * ") + ")"
  }
}
