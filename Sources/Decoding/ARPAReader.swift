import Foundation

/// Reads a language model in the ARPA text format (any order), with KenLM's rules for what a
/// valid file is, and KenLM's repairs of what it accepts:
///
/// ```
/// \data\
/// ngram 1=5
/// ngram 2=3
///
/// \1-grams:
/// -1.0	<unk>	0
/// -99	<s>	-0.3
/// …
/// \2-grams:
/// -0.2	<s> one
/// …
/// \end\
/// ```
///
/// Every problem is reported with the file, the line and the reason: a count that does not match
/// its section, a missing or misplaced section, an n-gram above the declared order or with the
/// wrong number of words, numbers that do not parse (or a positive log10 probability, which
/// KenLM refuses), a word missing from the 1-grams, an n-gram whose context is not listed, a
/// missing `<s>` or `</s>`, a missing `\end\`. KenLM's binary format and compressed files are
/// recognised and refused with what to do instead.
///
/// Fields are separated by spaces or tabs (KenLM wants a tab after the probability and before
/// the backoff; other tools write spaces). As in KenLM, a missing `<unk>` gets log10
/// probability -100, and when a listed n-gram's shorter suffix is missing (SRILM prunes such
/// entries), the suffix is added with the probability backoff gives it.
public enum ARPAReader {
  /// What a KenLM binary file starts with (`lm/binary_format.cc`).
  static let kenLMBinaryMagic = Array("mmap lm http://kheafield.com/code".utf8)

  public static func read(_ path: String) throws(LanguageModelError) -> NGramLanguageModel {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw LanguageModelError(path, "no such file") }
    if isDirectory.boolValue { throw LanguageModelError(path, "is a folder, expected an ARPA language model file") }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
      throw LanguageModelError(path, "cannot read: \(error.localizedDescription)")
    }
    return try parse(data, path: path)
  }

  /// Parses the bytes of an ARPA file; `path` names it in errors.
  public static func parse(_ data: Data, path: String) throws(LanguageModelError) -> NGramLanguageModel {
    let result: Result<NGramLanguageModel, LanguageModelError> = data.withUnsafeBytes { bytes in
      var parser = ARPAParser(bytes: bytes, path: path)
      do throws(LanguageModelError) { return .success(try parser.parse()) } catch { return .failure(error) }
    }
    return try result.get()
  }
}

/// The state of one pass over a file: a cursor over its lines and the model being built.
private struct ARPAParser {
  let bytes: UnsafeRawBufferPointer
  let path: String
  var position = 0
  var lineNumber = 0
  /// A line read ahead and given back.
  var pending: Line?

  var vocabulary = WordVocabulary(capacity: 16)
  var probabilities: [Float] = [-100]
  var backoffs: [Float] = [0]
  var children = IntegerHashMap()
  var arpaUnigrams: [String] = []
  var warnings: [String] = []
  /// Whether the 1-grams list `<unk>` (index 0 exists either way).
  var sawUnknown = false

  struct Line {
    var start: Int
    var end: Int
    var number: Int
  }

  init(bytes: UnsafeRawBufferPointer, path: String) {
    self.bytes = bytes
    self.path = path
  }

  func error(_ line: Line, _ reason: String) -> LanguageModelError { LanguageModelError(path, line: line.number, reason) }

  mutating func parse() throws(LanguageModelError) -> NGramLanguageModel {
    try checkFileKind()
    let (counts, countLines) = try readCounts()
    let order = counts.count
    vocabulary = WordVocabulary(capacity: counts[0] + 1)
    children = IntegerHashMap(capacity: counts.dropFirst().reduce(0, +))
    probabilities.reserveCapacity(counts.reduce(1, +))
    backoffs.reserveCapacity(counts.reduce(1, +))
    for n in 1...order {
      let header = try readSectionHeader(n, order: order, counts: counts, countLines: countLines)
      var entries = 0
      while entries < counts[n - 1] {
        guard let line = nextLine() else {
          throw LanguageModelError(
            path, line: lineNumber,
            "the file ends inside \\\(n)-grams: after \(entries) of the \(counts[n - 1]) entries that \\data\\ declares (line \(countLines[n - 1]))")
        }
        if isBlank(line) { continue }
        if bytes[line.start] == UInt8(ascii: "\\") {
          throw error(
            line,
            "\\\(n)-grams: (line \(header.number)) has \(entries) entries, but \\data\\ declares \(counts[n - 1]) (line \(countLines[n - 1])); found \(quoted(line)) instead of the next one"
          )
        }
        try readEntry(line, n: n, order: order)
        entries += 1
      }
      if n == 1 { try checkSpecialWords(header) }
    }
    try readEnd(order: order, counts: counts, countLines: countLines)
    return NGramLanguageModel(
      order: order, vocabulary: vocabulary, probabilities: probabilities, backoffs: backoffs, children: children, counts: counts,
      arpaUnigrams: arpaUnigrams, warnings: warnings)
  }

  // MARK: File kind and sections

  func checkFileKind() throws(LanguageModelError) {
    if bytes.allSatisfy({ isSpace($0) }) {
      throw LanguageModelError(path, bytes.isEmpty ? "is empty, expected an ARPA language model" : "holds only blank lines, expected an ARPA language model")
    }
    if bytes.starts(with: ARPAReader.kenLMBinaryMagic) {
      throw LanguageModelError(
        path,
        "is a KenLM binary model (written by build_binary); asrc reads language models in the ARPA text format only, and KenLM has no tool that turns a binary model back into ARPA: give the .arpa file it was built from, or make one with KenLM's lmplz (lmplz -o 3 < corpus.txt > lm.arpa)"
      )
    }
    if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
      throw LanguageModelError(path, "is gzip-compressed: decompress it first (gunzip -k \(path))")
    }
  }

  /// `\data\` and its `ngram N=COUNT` lines: the counts and the line of each.
  mutating func readCounts() throws(LanguageModelError) -> ([Int], [Int]) {
    // KenLM allows blank lines and #-comments before \data\, nothing else.
    while true {
      guard let line = nextLine() else { throw LanguageModelError(path, line: lineNumber, "the file has no \\data\\ line, so it is not an ARPA file") }
      if isBlank(line) || bytes[line.start] == UInt8(ascii: "#") { continue }
      guard trimmedText(line) == "\\data\\" else {
        throw error(line, "expected \\data\\ (the start of an ARPA language model), found \(quoted(line))")
      }
      break
    }
    var counts: [Int] = []
    var countLines: [Int] = []
    while let line = nextLine() {
      if isBlank(line) {
        if counts.isEmpty { continue }
        break
      }
      let text = trimmedText(line)
      if text.hasPrefix("\\") {
        pending = line
        break
      }
      guard text.hasPrefix("ngram "), let equals = text.firstIndex(of: "=") else {
        throw error(line, "expected a count line such as \"ngram 1=1000\" in \\data\\, found \(quoted(line))")
      }
      let orderText = text[text.index(text.startIndex, offsetBy: 6)..<equals].trimmingCharacters(in: .whitespaces)
      let countText = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      guard let n = Int(orderText), n >= 1 else { throw error(line, "the n of \(quoted(line)) is not a positive whole number") }
      guard let count = Int(countText), count >= 0 else { throw error(line, "the count of \(quoted(line)) is not a whole number") }
      guard n == counts.count + 1 else {
        throw error(line, "the counts of \\data\\ must go ngram 1, ngram 2, … in order; found ngram \(n) after \(counts.isEmpty ? "none" : "ngram \(counts.count)")")
      }
      counts.append(count)
      countLines.append(line.number)
    }
    guard !counts.isEmpty else { throw LanguageModelError(path, line: lineNumber, "\\data\\ lists no counts (\"ngram 1=…\" lines)") }
    guard counts[0] > 0 else { throw LanguageModelError(path, line: countLines[0], "\\data\\ declares no 1-grams") }
    return (counts, countLines)
  }

  /// The `\n-grams:` line that opens section `n`, or why the file does not have it here.
  mutating func readSectionHeader(_ n: Int, order: Int, counts: [Int], countLines: [Int]) throws(LanguageModelError) -> Line {
    guard let line = nextNonBlankLine() else {
      throw LanguageModelError(
        path, line: lineNumber, "the file ends before the \\\(n)-grams: section that \\data\\ declares (line \(countLines[n - 1]): ngram \(n)=\(counts[n - 1]))")
    }
    let text = trimmedText(line)
    if text == "\\\(n)-grams:" { return line }
    if let other = sectionOrder(text) {
      if other > order {
        throw error(line, "\\\(other)-grams: is above the order that \\data\\ declares (\(order): its last count is ngram \(order), line \(countLines[order - 1]))")
      }
      throw error(line, "expected the \\\(n)-grams: section, found \\\(other)-grams: (the sections come in order, as \\data\\ declares them)")
    }
    if text == "\\end\\" {
      throw error(line, "\\end\\ before the \\\(n)-grams: section that \\data\\ declares (line \(countLines[n - 1]): ngram \(n)=\(counts[n - 1]))")
    }
    if n > 1 && !text.hasPrefix("\\") {
      throw error(
        line, "\\\(n - 1)-grams: has more entries than the \(counts[n - 2]) that \\data\\ declares (line \(countLines[n - 2])); found \(quoted(line))")
    }
    throw error(line, "expected the \\\(n)-grams: section, found \(quoted(line))")
  }

  mutating func readEnd(order: Int, counts: [Int], countLines: [Int]) throws(LanguageModelError) {
    guard let line = nextNonBlankLine() else { throw LanguageModelError(path, line: lineNumber, "the file ends without \\end\\ (it may be cut short)") }
    let text = trimmedText(line)
    if text != "\\end\\" {
      if let other = sectionOrder(text), other > order {
        throw error(line, "\\\(other)-grams: is above the order that \\data\\ declares (\(order): its last count is ngram \(order), line \(countLines[order - 1]))")
      }
      if !text.hasPrefix("\\") {
        throw error(
          line, "\\\(order)-grams: has more entries than the \(counts[order - 1]) that \\data\\ declares (line \(countLines[order - 1])); found \(quoted(line))")
      }
      throw error(line, "expected \\end\\ after the \\\(order)-grams: section, found \(quoted(line))")
    }
    if let extra = nextNonBlankLine() { throw error(extra, "text after \\end\\: \(quoted(extra))") }
  }

  /// KenLM needs `<s>` and `</s>` to score sentence boundaries; `<unk>` it supplies itself.
  mutating func checkSpecialWords(_ header: Line) throws(LanguageModelError) {
    for word in ["<s>", "</s>"] where vocabulary.index(of: word) == WordVocabulary.unknown {
      throw error(header, "the 1-grams have no \(word), which KenLM requires (it scores the start and end of sentences)")
    }
    if !sawUnknown {
      warnings.append("\(path): the 1-grams have no <unk>; unknown words get log10 probability -100, as KenLM substitutes")
    }
  }

  // MARK: Entries

  mutating func readEntry(_ line: Line, n: Int, order: Int) throws(LanguageModelError) {
    var fields: [Range<Int>] = []
    var index = line.start
    while index < line.end {
      while index < line.end && isSeparator(bytes[index]) { index += 1 }
      guard index < line.end else { break }
      let start = index
      while index < line.end && !isSeparator(bytes[index]) { index += 1 }
      fields.append(start..<index)
    }
    guard fields.count >= n + 1 else {
      throw error(
        line, "a \(n)-gram line is a log10 probability and \(n) word\(n == 1 ? "" : "s"), this one has \(fields.count - 1) field\(fields.count == 2 ? "" : "s") after the probability")
    }
    guard fields.count <= n + 2 else {
      throw error(
        line,
        "a \(n)-gram line is a log10 probability, \(n) word\(n == 1 ? "" : "s") and an optional backoff weight, this one has \(fields.count) fields (an n-gram with more words than its section's order?)"
      )
    }
    guard let probability = number(fields[0]), !probability.isNaN else {
      throw error(line, "the log10 probability \(quoted(fields[0])) is not a number")
    }
    guard probability <= 0 else {
      throw error(line, "the log10 probability \(text(fields[0])) is positive (a probability above 1), which KenLM refuses too")
    }
    var backoff: Float = 0
    if fields.count == n + 2 {
      guard let value = number(fields[n + 1]), value.isFinite else {
        throw error(line, "the backoff weight \(quoted(fields[n + 1])) is not a finite number (or the line has more than \(n) word\(n == 1 ? "" : "s"))")
      }
      if n == order && value != 0 {
        throw error(
          line,
          "a \(n)-gram of the model's highest order cannot have a backoff weight, found \(text(fields[n + 1])) (or the line has more than \(n) word\(n == 1 ? "" : "s"))"
        )
      }
      backoff = value
    }
    if n == 1 {
      try addUnigram(line, word: fields[1], probability: probability, backoff: backoff)
    } else {
      try addNGram(line, words: Array(fields[1...n]), probability: probability, backoff: backoff)
    }
  }

  mutating func addUnigram(_ line: Line, word: Range<Int>, probability: Float, backoff: Float) throws(LanguageModelError) {
    let (index, inserted) = vocabulary.insert(UnsafeRawBufferPointer(rebasing: bytes[word]))
    if index == WordVocabulary.unknown {
      guard !sawUnknown else { throw error(line, "the 1-gram <unk> appears twice") }
      sawUnknown = true
      probabilities[0] = probability
      backoffs[0] = backoff
    } else {
      guard inserted else { throw error(line, "the 1-gram \(quoted(word)) appears twice") }
      precondition(Int(index) == probabilities.count, "unigram nodes are numbered as the words")
      probabilities.append(probability)
      backoffs.append(backoff)
    }
    // pyctcdecode's load_unigram_set_from_arpa: line.strip().split("\t") with exactly 3 parts.
    var (start, end) = (line.start, line.end)
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    let tabs = (start..<end).filter { bytes[$0] == UInt8(ascii: "\t") }
    if tabs.count == 2 { arpaUnigrams.append(text(tabs[0] + 1..<tabs[1])) }
  }

  /// Adds `w1 … wn` to the leftward trie, after the suffixes KenLM adds for it when they are
  /// missing (`FindLower` and `AdjustLower` in `lm/search_hashed.cc`).
  mutating func addNGram(_ line: Line, words: [Range<Int>], probability: Float, backoff: Float) throws(LanguageModelError) {
    let n = words.count
    var ids: [UInt32] = []
    for word in words {
      let raw = UnsafeRawBufferPointer(rebasing: bytes[word])
      let id = vocabulary.index(of: raw)
      if id == WordVocabulary.unknown && !WordVocabulary.isUnknownSpelling(raw) {
        throw error(line, "the word \(quoted(word)) is not among the 1-grams (every word of an n-gram must be listed as a 1-gram)")
      }
      ids.append(id)
    }
    // The longest suffix w(n-k+1) … wn the trie has: `basis` words.
    var path: [UInt32] = [ids[n - 1]]
    while path.count < n - 1, let longer = children.find(IntegerHashMap.key(path.last!, ids[n - 1 - path.count])) { path.append(longer) }
    if path.count < n - 1 {
      var basis = path.count
      var hallucinated = -abs(probabilities[Int(path.last!)])
      while basis < n - 1 {
        // p(wn | w(n-basis) … w(n-1)) = p(wn | shorter context) + backoff(w(n-basis) … w(n-1)).
        if let context = node(ids[(n - 1 - basis)..<(n - 1)]) { hallucinated += backoffs[Int(context)] }
        let blank = appendNode(probability: hallucinated, backoff: 0)
        children.insert(IntegerHashMap.key(path.last!, ids[n - 1 - basis]), blank)
        path.append(blank)
        basis += 1
      }
    }
    if n >= 3 && node(ids[0..<(n - 1)]) == nil {
      let context = words[0..<(n - 1)].map(text).joined(separator: " ")
      throw error(line, "the context \"\(context)\" of this \(n)-gram is not listed as a \(n - 1)-gram (KenLM refuses such files too)")
    }
    let entry = appendNode(probability: probability, backoff: backoff)
    if children.insert(IntegerHashMap.key(path.last!, ids[0]), entry) != nil {
      throw error(line, "the \(n)-gram \"\(words.map(text).joined(separator: " "))\" appears twice")
    }
  }

  /// The node of the n-gram `words` (in reading order), if the trie has it.
  func node(_ words: ArraySlice<UInt32>) -> UInt32? {
    var current = words.last!
    for word in words.dropLast().reversed() {
      guard let next = children.find(IntegerHashMap.key(current, word)) else { return nil }
      current = next
    }
    return current
  }

  mutating func appendNode(probability: Float, backoff: Float) -> UInt32 {
    probabilities.append(probability)
    backoffs.append(backoff)
    return UInt32(probabilities.count - 1)
  }

  // MARK: Lines and fields

  mutating func nextLine() -> Line? {
    if let line = pending {
      pending = nil
      return line
    }
    guard position < bytes.count else { return nil }
    let start = position
    var end = start
    if let newline = memchr(bytes.baseAddress! + start, 0x0a, bytes.count - start) {
      end = bytes.baseAddress!.distance(to: UnsafeRawPointer(newline))
      position = end + 1
    } else {
      end = bytes.count
      position = bytes.count
    }
    if end > start && bytes[end - 1] == 0x0d { end -= 1 }
    lineNumber += 1
    return Line(start: start, end: end, number: lineNumber)
  }

  mutating func nextNonBlankLine() -> Line? {
    while let line = nextLine() {
      if !isBlank(line) { return line }
    }
    return nil
  }

  func isBlank(_ line: Line) -> Bool { (line.start..<line.end).allSatisfy { isSpace(bytes[$0]) } }

  func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0d).contains(byte) }

  /// KenLM's word separators (`kARPASpaces`): tab, newline, carriage return and space; vertical
  /// tab and form feed may be part of a word.
  func isSeparator(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

  func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) }

  func trimmedText(_ line: Line) -> String { text(line.start..<line.end).trimmingCharacters(in: .whitespaces) }

  func quoted(_ range: Range<Int>) -> String {
    let value = text(range)
    return "\"" + (value.count > 60 ? String(value.prefix(60)) + "…" : value) + "\""
  }

  func quoted(_ line: Line) -> String { quoted(line.start..<line.end) }

  /// `\n-grams:` → n.
  func sectionOrder(_ text: String) -> Int? {
    guard text.hasPrefix("\\"), text.hasSuffix("-grams:") else { return nil }
    return Int(text.dropFirst().dropLast(7))
  }

  /// A 32-bit float rounded once from the decimal text, as KenLM's reader (strtof), with "inf"
  /// and "-inf" accepted; nil unless the whole field is a number.
  func number(_ range: Range<Int>) -> Float? {
    guard range.count < 64 else { return nil }
    var buffer = [CChar](repeating: 0, count: range.count + 1)
    for (offset, index) in range.enumerated() { buffer[offset] = CChar(bitPattern: bytes[index]) }
    return buffer.withUnsafeBufferPointer { pointer -> Float? in
      var end: UnsafeMutablePointer<CChar>?
      let value = strtof(pointer.baseAddress!, &end)
      guard let end, pointer.baseAddress!.distance(to: end) == range.count, range.count > 0 else { return nil }
      return value
    }
  }
}
