/// A typed attribute value of an op (`stride = 5`, `eps = 1.0e-05`, `perm = [0, 2, 1]`).
public enum Attribute: Hashable, Sendable {
  case int(Int)
  case float(Double)
  case bool(Bool)
  case string(String)
  case dtype(DType)
  case ints([Int])
  case dims([DimExpr])

  public var kind: AttributeKind {
    switch self {
    case .int: .int
    case .float: .float
    case .bool: .bool
    case .string: .string
    case .dtype: .dtype
    case .ints: .ints
    case .dims: .dims
    }
  }
}

/// The declared kind of an attribute in an op's signature.
public enum AttributeKind: String, Hashable, Sendable, CustomStringConvertible {
  case int, float, bool, string, dtype, ints, dims
  public var description: String {
    switch self {
    case .ints: "list of ints"
    case .dims: "list of dimensions"
    default: rawValue
    }
  }
}

/// The attributes of one node, by name.
public struct Attributes: Hashable, Sendable, ExpressibleByDictionaryLiteral {
  public var values: [String: Attribute]

  public init(_ values: [String: Attribute] = [:]) { self.values = values }
  public init(dictionaryLiteral elements: (String, Attribute)...) {
    values = Dictionary(elements, uniquingKeysWith: { _, last in last })
  }

  public subscript(name: String) -> Attribute? {
    get { values[name] }
    set { values[name] = newValue }
  }

  // Typed accessors. Type rules run after signature checking, so a missing or mistyped
  // attribute here is a bug in the op's signature, reported as a type error rather than a trap.
  public func int(_ name: String) throws(TypeRuleError) -> Int {
    guard case .int(let value)? = values[name] else { throw .missingAttribute(name, .int) }
    return value
  }
  public func float(_ name: String) throws(TypeRuleError) -> Double {
    guard case .float(let value)? = values[name] else { throw .missingAttribute(name, .float) }
    return value
  }
  public func bool(_ name: String) throws(TypeRuleError) -> Bool {
    guard case .bool(let value)? = values[name] else { throw .missingAttribute(name, .bool) }
    return value
  }
  public func string(_ name: String) throws(TypeRuleError) -> String {
    guard case .string(let value)? = values[name] else { throw .missingAttribute(name, .string) }
    return value
  }
  public func dtype(_ name: String) throws(TypeRuleError) -> DType {
    guard case .dtype(let value)? = values[name] else { throw .missingAttribute(name, .dtype) }
    return value
  }
  public func ints(_ name: String) throws(TypeRuleError) -> [Int] {
    guard case .ints(let value)? = values[name] else { throw .missingAttribute(name, .ints) }
    return value
  }
  public func dims(_ name: String) throws(TypeRuleError) -> [DimExpr] {
    guard case .dims(let value)? = values[name] else { throw .missingAttribute(name, .dims) }
    return value
  }
}

/// Text form of attribute values; floats print in Swift's shortest round-tripping form.
extension Attribute: CustomStringConvertible {
  public var description: String {
    switch self {
    case .int(let value): String(value)
    case .float(let value): formatFloat(value)
    case .bool(let value): value ? "true" : "false"
    case .string(let value): quoteString(value)
    case .dtype(let value): value.rawValue
    case .ints(let values): "[" + values.map(String.init).joined(separator: ", ") + "]"
    case .dims(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
    }
  }
}

func formatFloat(_ value: Double) -> String {
  if value.isNaN { return "nan" }
  if value.isInfinite { return value < 0 ? "-inf" : "inf" }
  let text = "\(value)"
  // Swift prints 1e-05 as "1e-05" and 2.0 as "2.0"; both parse back exactly.
  return text
}

func quoteString(_ value: String) -> String {
  var result = "\""
  for character in value.unicodeScalars {
    switch character {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\t": result += "\\t"
    default: result.unicodeScalars.append(character)
    }
  }
  return result + "\""
}
