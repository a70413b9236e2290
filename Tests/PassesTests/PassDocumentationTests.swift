import Foundation
import Passes
import Testing

/// docs/passes.md is generated from the pass registry (`asrc compile --list-passes --markdown`);
/// this keeps the committed page and the registry in step, as DocumentationTests does for ops.
@Suite struct PassDocumentationTests {
  static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("docs/passes.md")

  @Test func passReferenceInDocsIsCurrent() throws {
    let generated = PassReference.markdown()
    if ProcessInfo.processInfo.environment["ASRC_WRITE_PASS_DOCS"] == "1" {
      try generated.write(to: Self.page, atomically: true, encoding: .utf8)
    }
    let docs = try String(contentsOf: Self.page, encoding: .utf8)
    #expect(docs == generated, "docs/passes.md is out of date: run `swift run asrc compile --list-passes --markdown > docs/passes.md`")
    for pass in PassRegistry.all { #expect(docs.contains("\n## \(pass.name)\n")) }
  }
}
