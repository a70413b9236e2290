import Foundation

extension CorpusReader {
  /// Reads several corpora and trains on them as one, in the order given (as `datasets`'
  /// `concatenate_datasets` does): `asrc train --train A --train B`.
  ///
  /// Each keeps its own layout and its utterances their ids, which are relative to their own
  /// root. The same file or folder named twice (by another spelling, a relative path or a
  /// symbolic link included) is an error rather than a silent doubling of its share of the
  /// steps; so is the same audio file reached through two corpora, and a corpus with nothing to
  /// read, which alone would be an error too.
  public static func load(_ paths: [String]) throws(DataError) -> Corpus {
    guard let first = paths.first else { throw DataError("the corpus list", "empty: no corpus given") }
    if paths.count == 1 { return try load(first) }
    var seenPaths: [String: String] = [:]
    for path in paths {
      let canonical = canonicalPath(path)
      if let earlier = seenPaths[canonical] { throw DataError(path, earlier == path ? "given twice" : "given twice (also as \(earlier))") }
      seenPaths[canonical] = path
    }
    var corpora: [Corpus] = []
    var owners: [String: String] = [:]
    for path in paths {
      let corpus = try load(path)
      guard !corpus.utterances.isEmpty else { throw DataError(path, "no utterances to read" + firstSkipped(corpus.skipped)) }
      for utterance in corpus.utterances {
        let audio = canonicalPath(utterance.audioPath)
        if let other = owners[audio] { throw DataError(path, "\(utterance.audioPath) is in \(other) too: the corpora overlap") }
        owners[audio] = path
      }
      corpora.append(corpus)
    }
    let layouts = Set(corpora.map(\.layout))
    return Corpus(
      root: paths.joined(separator: " + "),
      layout: layouts.count == 1 ? corpora[0].layout : .mixed,
      utterances: corpora.flatMap(\.utterances),
      skipped: corpora.flatMap(\.skipped))
  }

  private static func firstSkipped(_ skipped: [SkippedEntry]) -> String {
    guard let first = skipped.first else { return "" }
    return " (\(skipped.count) skipped; the first: \(first))"
  }

  /// An absolute path with `.`, `..` and symbolic links resolved, so that two spellings of one
  /// file compare equal (folders' audio paths keep the root as given; manifests' are absolute).
  public static func canonicalPath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
  }
}
