import Compiler
import Foundation
import Models
import TestSupport
import Testing

@Suite struct LineDiffTests {
  /// The length of the longest common subsequence, by the textbook O(nm) table.
  static func lcsLength(_ a: [String], _ b: [String]) -> Int {
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
      for j in stride(from: b.count - 1, through: 0, by: -1) {
        table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    return table[0][0]
  }

  @Test func diffRebuildsBothSidesWithTheFewestEdits() {
    var random = SeededRandom(seed: 3)
    for _ in 0..<200 {
      let alphabet = ["a", "b", "c", "d"].prefix(1 + Int(random.next() % 4))
      let old = (0..<Int(random.next() % 30)).map { _ in alphabet.randomElement(using: &random)! }
      let new = (0..<Int(random.next() % 30)).map { _ in alphabet.randomElement(using: &random)! }
      let lines = LineDiff.diff(old, new)
      #expect(lines.filter { $0.kind != .added }.map(\.text) == old)
      #expect(lines.filter { $0.kind != .removed }.map(\.text) == new)
      let edits = lines.count { $0.kind != .same }
      #expect(edits == old.count + new.count - 2 * Self.lcsLength(old, new), "\(old) → \(new)")
    }
  }

  @Test func identicalTextsHaveNoHunks() {
    let text = ["graph @g {", "  input %x: f32[4]", "}"]
    #expect(LineDiff.diff(text, text).allSatisfy { $0.kind == .same })
    #expect(LineDiff.unified(LineDiff.diff(text, text)).isEmpty)
  }

  /// Hunks as GNU diff -u writes them, for a change with one minimal alignment.
  @Test func unifiedHunksMatchGNUDiff() throws {
    let old = (1...40).map { "line \($0)" }
    var new = old
    new.remove(at: 4)
    new.insert("inserted", at: 20)
    new[35] = "changed"
    try withTemporaryFolder { folder in
      try (old.joined(separator: "\n") + "\n").write(toFile: folder + "/a", atomically: true, encoding: .utf8)
      try (new.joined(separator: "\n") + "\n").write(toFile: folder + "/b", atomically: true, encoding: .utf8)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
      process.arguments = ["-u", folder + "/a", folder + "/b"]
      let pipe = Pipe()
      process.standardOutput = pipe
      try process.run()
      let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      // Drop the two file-name lines.
      let gnu = output.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
      #expect(LineDiff.unified(LineDiff.diff(old, new)) == gnu)
    }
  }

  @Test func largeGraphTextDiffsQuickly() {
    let old = (0..<5000).map { "  %\($0) = add(%\($0 / 2), %x) : f32[B, 768]" }
    var new = old.filter { !$0.hasPrefix("  %1") }
    new.insert(contentsOf: (0..<800).map { "  %g\($0) = mul(%\($0), %y) : f32[B, 768]" }, at: 2500)
    let clock = ContinuousClock()
    var lines: [LineDiff.Line] = []
    let elapsed = clock.measure { lines = LineDiff.diff(old, new) }
    #expect(lines.filter { $0.kind != .added }.map(\.text) == old)
    #expect(lines.filter { $0.kind != .removed }.map(\.text) == new)
    #expect(elapsed < .seconds(5), "diff took \(elapsed)")
  }
}
