/// A tensor dimension: an integer, a symbol bound at run time (`B`, `S`), or an
/// affine expression over symbols with floor division by positive constants.
///
/// Convolutions need exactly this arithmetic: `frames = (S - k) / s + 1`. Values are kept
/// in a canonical form so that two ways of writing the same size compare equal:
/// `constant + Σ coefficient·atom`, where an atom is a symbol or `floor(expr / d)` with the
/// multiples of `d` pulled out of `expr` and nested floor divisions merged
/// (`floor(floor(x / a) / b) == floor(x / (a·b))`). Products of two symbolic terms are not
/// representable; the type rules never need them.
public struct DimExpr: Hashable, Sendable {
  /// The constant part.
  public private(set) var constant: Int
  /// Non-zero terms, sorted by atom.
  public private(set) var terms: [DimTerm]

  public init(_ value: Int) {
    constant = value
    terms = []
  }

  public static func symbol(_ name: String) -> DimExpr {
    DimExpr(constant: 0, terms: [DimTerm(atom: .symbol(name), coefficient: 1)])
  }

  private init(constant: Int, terms: [DimTerm]) {
    self.constant = constant
    self.terms = terms
  }

  /// The largest integer the text format accepts in a dimension or integer attribute (2^30), so
  /// that shape arithmetic on parsed files cannot overflow.
  public static let largestLiteral = 1 << 30

  /// Whether every number in the expression is within ``largestLiteral``.
  public var isWithinLiteralBounds: Bool {
    Swift.abs(constant) <= Self.largestLiteral && terms.allSatisfy { term in
      guard Swift.abs(term.coefficient) <= Self.largestLiteral else { return false }
      if case .floorDiv(let inner, let divisor) = term.atom { return divisor <= Self.largestLiteral && inner.isWithinLiteralBounds }
      return true
    }
  }

  /// The integer value when the expression has no symbols.
  public var constantValue: Int? { terms.isEmpty ? constant : nil }

  public var isStatic: Bool { terms.isEmpty }

  /// Every symbol the expression mentions.
  public var symbols: Set<String> {
    var result = Set<String>()
    for term in terms {
      switch term.atom {
      case .symbol(let name): result.insert(name)
      case .floorDiv(let inner, _): result.formUnion(inner.symbols)
      }
    }
    return result
  }

  /// Evaluates the expression with the given symbol values; nil when a symbol is unbound.
  public func evaluate(_ bindings: [String: Int]) -> Int? {
    var total = constant
    for term in terms {
      let value: Int
      switch term.atom {
      case .symbol(let name):
        guard let bound = bindings[name] else { return nil }
        value = bound
      case .floorDiv(let inner, let divisor):
        guard let numerator = inner.evaluate(bindings) else { return nil }
        value = floorDivide(numerator, divisor)
      }
      total += term.coefficient * value
    }
    return total
  }

  // MARK: Arithmetic (results are canonical)

  public static func + (lhs: DimExpr, rhs: DimExpr) -> DimExpr {
    var coefficients: [DimAtom: Int] = [:]
    for term in lhs.terms + rhs.terms { coefficients[term.atom, default: 0] += term.coefficient }
    return DimExpr(constant: lhs.constant + rhs.constant, coefficients: coefficients)
  }

  public static prefix func - (operand: DimExpr) -> DimExpr { operand * -1 }

  public static func - (lhs: DimExpr, rhs: DimExpr) -> DimExpr { lhs + (-rhs) }

  public static func * (lhs: DimExpr, factor: Int) -> DimExpr {
    guard factor != 0 else { return DimExpr(0) }
    return DimExpr(
      constant: lhs.constant * factor,
      terms: lhs.terms.map { DimTerm(atom: $0.atom, coefficient: $0.coefficient * factor) })
  }

  /// The product, or nil when both sides are symbolic (not an affine expression).
  public func multiplied(by other: DimExpr) -> DimExpr? {
    if let factor = other.constantValue { return self * factor }
    if let factor = constantValue { return other * factor }
    return nil
  }

  /// `floor(self / divisor)` for a positive divisor.
  public func floorDivided(by divisor: Int) -> DimExpr {
    precondition(divisor > 0, "floor division by a non-positive constant")
    if divisor == 1 { return self }
    // Pull every multiple of the divisor out of the numerator.
    var quotient: [DimAtom: Int] = [:]
    var remainder: [DimAtom: Int] = [:]
    for term in terms {
      let whole = floorDivide(term.coefficient, divisor)
      let rest = term.coefficient - whole * divisor
      if whole != 0 { quotient[term.atom] = whole }
      if rest != 0 { remainder[term.atom] = rest }
    }
    let wholeConstant = floorDivide(constant, divisor)
    let restConstant = constant - wholeConstant * divisor
    let pulledOut = DimExpr(constant: wholeConstant, coefficients: quotient)
    if remainder.isEmpty { return pulledOut }  // 0 <= restConstant < divisor
    // floor((floor(x / m) + c) / d) == floor((x + c·m) / (m·d)) for integer x.
    if remainder.count == 1, let (atom, coefficient) = remainder.first, coefficient == 1,
      case .floorDiv(let inner, let innerDivisor) = atom,
      case (let merged, false) = innerDivisor.multipliedReportingOverflow(by: divisor)
    {
      return pulledOut + (inner + DimExpr(restConstant * innerDivisor)).floorDivided(by: merged)
    }
    let numerator = DimExpr(constant: restConstant, coefficients: remainder)
    return pulledOut + DimExpr(constant: 0, terms: [DimTerm(atom: .floorDiv(numerator, divisor), coefficient: 1)])
  }

  private init(constant: Int, coefficients: [DimAtom: Int]) {
    self.constant = constant
    self.terms = coefficients.filter { $0.value != 0 }
      .map { DimTerm(atom: $0.key, coefficient: $0.value) }
      .sorted { $0.atom < $1.atom }
  }
}

/// One `coefficient · atom` summand of a ``DimExpr``.
public struct DimTerm: Hashable, Sendable {
  public var atom: DimAtom
  public var coefficient: Int
}

/// The non-constant building blocks of a ``DimExpr``.
public indirect enum DimAtom: Hashable, Sendable, Comparable {
  case symbol(String)
  /// `floor(numerator / divisor)`; the numerator is canonical and has no multiples of the divisor.
  case floorDiv(DimExpr, Int)

  public static func < (lhs: DimAtom, rhs: DimAtom) -> Bool {
    switch (lhs, rhs) {
    case (.symbol(let a), .symbol(let b)): a < b
    case (.symbol, .floorDiv): true
    case (.floorDiv, .symbol): false
    case (.floorDiv(let a, let m), .floorDiv(let b, let n)):
      a.description == b.description ? m < n : a.description < b.description
    }
  }
}

extension DimExpr: ExpressibleByIntegerLiteral {
  public init(integerLiteral value: Int) { self.init(value) }
}

/// Floor division for integers (Swift's `/` truncates towards zero).
@inlinable public func floorDivide(_ numerator: Int, _ divisor: Int) -> Int {
  let quotient = numerator / divisor
  return (numerator % divisor != 0 && (numerator < 0) != (divisor < 0)) ? quotient - 1 : quotient
}

// MARK: Text form

extension DimExpr: CustomStringConvertible {
  /// The text form. `/` is floor division. A lone floor division plus a constant prints in
  /// the convolution style `(S - 400) / 320 + 1` rather than the canonical `(S + 240) / 320 - 1`.
  public var description: String {
    if terms.count == 1, terms[0].coefficient == 1, constant != 0, constant != 1,
      case .floorDiv(let numerator, let divisor) = terms[0].atom
    {
      let shifted = numerator + DimExpr((constant - 1) * divisor)
      return "\(DimExpr.parenthesized(shifted)) / \(divisor) + 1"
    }
    var text = ""
    for (index, term) in terms.enumerated() {
      let magnitude = abs(term.coefficient)
      let atomText: String
      switch term.atom {
      case .symbol(let name): atomText = name
      case .floorDiv(let numerator, let divisor):
        atomText = "\(DimExpr.parenthesized(numerator)) / \(divisor)"
      }
      let body: String
      if magnitude == 1 {
        body = atomText
      } else if case .floorDiv = term.atom {
        body = "\(magnitude) * (\(atomText))"
      } else {
        body = "\(magnitude) * \(atomText)"
      }
      if index == 0 {
        text = term.coefficient < 0 ? "-\(body)" : body
      } else {
        text += term.coefficient < 0 ? " - \(body)" : " + \(body)"
      }
    }
    if terms.isEmpty { return String(constant) }
    if constant > 0 { text += " + \(constant)" }
    if constant < 0 { text += " - \(-constant)" }
    return text
  }

  private static func parenthesized(_ expression: DimExpr) -> String {
    let text = expression.description
    let isAtomic = expression.terms.isEmpty
      || (expression.terms.count == 1 && expression.constant == 0 && expression.terms[0].coefficient == 1
        && { if case .symbol = expression.terms[0].atom { return true } else { return false } }())
    return isAtomic && !text.hasPrefix("-") ? text : "(\(text))"
  }
}
