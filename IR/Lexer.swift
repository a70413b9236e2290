/// Tokens of the IR text format.
enum TokenKind: Equatable {
  case identifier(String)  // graph, input, conv1d, f32, B, true
  case value(String)  // %name
  case graphName(String)  // @name
  case integer(Int)
  case float(Double)
  case string(String)
  case punctuation(Character)  // ( ) { } [ ] , : = ^ + - * /
  case end

  var text: String {
    switch self {
    case .identifier(let name): "'\(name)'"
    case .value(let name): "'%\(name)'"
    case .graphName(let name): "'@\(name)'"
    case .integer(let value): "'\(value)'"
    case .float(let value): "'\(value)'"
    case .string(let value): "string \(quoteString(value))"
    case .punctuation(let character): "'\(character)'"
    case .end: "end of file"
    }
  }
}

struct Token {
  var kind: TokenKind
  var location: SourceLocation
}

/// Splits IR text into tokens; `//` starts a comment that runs to the end of the line.
struct Lexer {
  private let scalars: [Unicode.Scalar]
  private var position = 0
  private var line = 1
  private var column = 1

  init(_ text: String) { scalars = Array(text.unicodeScalars) }

  mutating func tokenize() throws(Diagnostic) -> [Token] {
    var tokens: [Token] = []
    while true {
      let token = try next()
      tokens.append(token)
      if token.kind == .end { return tokens }
    }
  }

  private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }
  private func peek(_ offset: Int) -> Unicode.Scalar? {
    position + offset < scalars.count ? scalars[position + offset] : nil
  }

  private mutating func advance() {
    if current == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    position += 1
  }

  private mutating func next() throws(Diagnostic) -> Token {
    skipTrivia()
    let start = SourceLocation(line: line, column: column)
    guard let scalar = current else { return Token(kind: .end, location: start) }
    func error(_ message: String) -> Diagnostic { Diagnostic(location: start, message: message) }

    if scalar == "%" || scalar == "@" {
      advance()
      let name = takeWhile(Self.isNameCharacter)
      guard !name.isEmpty else { throw error("expected a name after '\(scalar)'") }
      return Token(kind: scalar == "%" ? .value(name) : .graphName(name), location: start)
    }
    if Self.isIdentifierStart(scalar) {
      // Dots may follow the first character, so that output labels can carry parameter names.
      let name = takeWhile { Self.isIdentifierStart($0) || ("0"..."9").contains($0) || $0 == "." }
      return Token(kind: .identifier(name), location: start)
    }
    if ("0"..."9").contains(scalar) { return Token(kind: try number(start), location: start) }
    if scalar == "\"" { return Token(kind: .string(try string(start)), location: start) }
    if "(){}[],:=^+-*/".unicodeScalars.contains(scalar) {
      advance()
      return Token(kind: .punctuation(Character(scalar)), location: start)
    }
    throw error("unexpected character '\(scalar.escaped(asASCII: true))'")
  }

  private mutating func skipTrivia() {
    while let scalar = current {
      if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
        advance()
      } else if scalar == "/" && peek(1) == "/" {
        while let inner = current, inner != "\n" { advance() }
      } else {
        return
      }
    }
  }

  private mutating func takeWhile(_ predicate: (Unicode.Scalar) -> Bool) -> String {
    var text = String.UnicodeScalarView()
    while let scalar = current, predicate(scalar) {
      text.append(scalar)
      advance()
    }
    return String(text)
  }

  private mutating func number(_ start: SourceLocation) throws(Diagnostic) -> TokenKind {
    var text = takeWhile { ("0"..."9").contains($0) }
    var isFloat = false
    if current == ".", let after = peek(1), ("0"..."9").contains(after) {
      advance()
      text += "." + takeWhile { ("0"..."9").contains($0) }
      isFloat = true
    }
    if current == "e" || current == "E" {
      let signOffset = (peek(1) == "-" || peek(1) == "+") ? 2 : 1
      if let digit = peek(signOffset), ("0"..."9").contains(digit) {
        text += "e"
        advance()
        if signOffset == 2, let sign = current {
          text.unicodeScalars.append(sign)
          advance()
        }
        text += takeWhile { ("0"..."9").contains($0) }
        isFloat = true
      }
    }
    if let scalar = current, Self.isIdentifierStart(scalar) {
      throw Diagnostic(location: start, message: "malformed number '\(text)\(scalar)'")
    }
    if isFloat {
      guard let value = Double(text) else { throw Diagnostic(location: start, message: "malformed number '\(text)'") }
      return .float(value)
    }
    guard let value = Int(text) else { throw Diagnostic(location: start, message: "integer '\(text)' is too large") }
    return .integer(value)
  }

  private mutating func string(_ start: SourceLocation) throws(Diagnostic) -> String {
    advance()
    var text = String.UnicodeScalarView()
    while let scalar = current {
      advance()
      switch scalar {
      case "\"": return String(text)
      case "\n": throw Diagnostic(location: start, message: "unterminated string")
      case "\\":
        guard let escaped = current else { break }
        advance()
        switch escaped {
        case "n": text.append("\n")
        case "t": text.append("\t")
        case "\"", "\\": text.append(escaped)
        default: throw Diagnostic(location: start, message: "unknown escape '\\\(escaped)' in string")
        }
      default: text.append(scalar)
      }
    }
    throw Diagnostic(location: start, message: "unterminated string")
  }

  static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
  }

  static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
    isIdentifierStart(scalar) || ("0"..."9").contains(scalar) || scalar == "."
  }

  /// Whether a name can be printed after `%` or `@` and read back.
  static func isValidName(_ name: String) -> Bool {
    !name.isEmpty && name.unicodeScalars.allSatisfy(isNameCharacter)
  }
}
