extension OpSignature {
  /// Checks a node's attributes against the signature and returns them completed with
  /// defaults. Integers stand in for floats, and all-integer dimension lists for int lists
  /// (and back), because the text form cannot tell them apart.
  public func checkedAttributes(_ attributes: Attributes, op: Op) throws(TypeRuleError) -> Attributes {
    var result = Attributes()
    let known = Set(self.attributes.map(\.name))
    for name in attributes.values.keys.sorted() where !known.contains(name) {
      let expected = self.attributes.isEmpty ? "it takes none" : "expected " + self.attributes.map(\.name).joined(separator: ", ")
      throw .invalid("unknown attribute '\(name)' (\(expected))")
    }
    for spec in self.attributes {
      guard let given = attributes[spec.name] ?? spec.defaultValue else {
        throw .invalid("missing required attribute '\(spec.name)' (\(spec.kind))")
      }
      guard let value = Self.coerce(given, to: spec.kind) else {
        throw .invalid("attribute '\(spec.name)' must be \(spec.kind), found \(given.kind) \(given)")
      }
      if let allowed = spec.allowedStrings, case .string(let text) = value, !allowed.contains(text) {
        throw .invalid("attribute '\(spec.name)' must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), found \"\(text)\"")
      }
      result[spec.name] = value
    }
    return result
  }

  static func coerce(_ value: Attribute, to kind: AttributeKind) -> Attribute? {
    if value.kind == kind { return value }
    switch (value, kind) {
    case (.int(let number), .float): return .float(Double(number))
    case (.ints(let numbers), .dims): return .dims(numbers.map { DimExpr($0) })
    case (.dims(let dims), .ints):
      let numbers = dims.compactMap(\.constantValue)
      return numbers.count == dims.count ? .ints(numbers) : nil
    default: return nil
    }
  }

  /// Checks the operand count.
  public func checkOperandCount(_ count: Int) throws(TypeRuleError) {
    guard operandCountRange.contains(count) else {
      let expected: String
      if isVariadic {
        expected = "at least \(operands.count)"
      } else if optionalOperands > 0 {
        expected = "\(operandCountRange.lowerBound) or \(operandCountRange.upperBound) (\(operands.joined(separator: ", ")))"
      } else {
        expected = "\(operands.count) (\(operands.joined(separator: ", ")))"
      }
      throw .invalid("expects \(expected) operands, found \(count)")
    }
  }
}
