import Foundation
import FuzzTargets
import Testing

/// Replays every fuzz harness's seed corpus and every committed crasher through the same
/// parsing functions the harnesses call (without the fuzzer): each input either parses or is
/// refused with an error naming the input; a crash fails the whole run.
@Suite struct FuzzCorpusTests {
  static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fuzz")

  static func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
    let folder = fuzz.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().map { folder.appendingPathComponent($0) }
  }

  @Test(arguments: FuzzTarget.allCases)
  func seedCorpusParses(_ target: FuzzTarget) throws {
    let seeds = Self.inputs("corpus", target)
    #expect(!seeds.isEmpty, "no seeds in Fuzz/corpus/\(target.rawValue)")
    var parsed = 0
    for seed in seeds {
      let outcome = Self.replay(target, try Data(contentsOf: seed))
      print("\(target.rawValue)/\(seed.lastPathComponent): \(outcome)")
      if case .parsed = outcome { parsed += 1 }
      if case .refused(let message) = outcome {
        #expect(message.contains(target.inputName), "\(seed.lastPathComponent): the error does not name the input: \(message)")
      }
    }
    // Fuzzing only from inputs the reader refuses would never reach its happy path.
    #expect(parsed > 0, "none of the \(seeds.count) seeds parses")
  }

  @Test(arguments: FuzzTarget.allCases)
  func crashersAreRefusedCleanly(_ target: FuzzTarget) throws {
    for crasher in Self.inputs("crashers", target) {
      switch Self.replay(target, try Data(contentsOf: crasher)) {
      case .refused(let message):
        #expect(message.contains(target.inputName), "\(crasher.lastPathComponent): the error does not name the input: \(message)")
      case .parsed(let summary):
        // Every committed crasher is malformed input that must now be refused, not accepted.
        Issue.record("\(target.rawValue)/\(crasher.lastPathComponent) was accepted: \(summary)")
      }
    }
  }

  /// The crashers the fuzz README lists are all here, so a lost file cannot make the replay vacuous.
  @Test func everyCommittedCrasherIsReplayed() {
    let count = FuzzTarget.allCases.reduce(0) { $0 + Self.inputs("crashers", $1).count }
    #expect(count >= 6, "only \(count) crashers found")
  }

  enum Outcome {
    case parsed(String)
    case refused(String)
  }

  static func replay(_ target: FuzzTarget, _ bytes: Data) -> Outcome {
    do {
      return .parsed(try target.parse(bytes))
    } catch {
      return .refused("\(error)")
    }
  }
}
