import Foundation

extension CorpusReader {
  /// Reads several corpora and trains on them as one, in the order given (as `datasets`'
  /// `concatenate_datasets` does): `asrc train --train A --train B`.
  ///
  /// Each keeps its own layout and its utterances their ids, which are relative to their own
  /// root. The same file or folder named twice is an error rather than a silent doubling of its
  /// share of the steps; so is the same audio file reached through two corpora.
  public static func load(_ paths: [String]) throws(DataError) -> Corpus {
    guard let first = paths.first else { throw DataError("", "no corpus given") }
    if paths.count == 1 { return try load(first) }
    var seenPaths: [String: String] = [:]
    for path in paths {
      let canonical = (path as NSString).standardizingPath
      if let earlier = seenPaths[canonical] { throw DataError(path, earlier == path ? "given twice" : "given twice (also as \(earlier))") }
      seenPaths[canonical] = path
    }
    let corpora = try paths.map { path throws(DataError) in try load(path) }
    var owners: [String: String] = [:]
    for (path, corpus) in zip(paths, corpora) {
      for utterance in corpus.utterances {
        let audio = (utterance.audioPath as NSString).standardizingPath
        if let other = owners[audio], other != path {
          throw DataError(path, "\(utterance.audioPath) is in \(other) too: the corpora overlap")
        }
        owners[audio] = path
      }
    }
    let layouts = Set(corpora.map(\.layout))
    return Corpus(
      root: paths.joined(separator: " + "),
      layout: layouts.count == 1 ? corpora[0].layout : .mixed,
      utterances: corpora.flatMap(\.utterances),
      skipped: corpora.flatMap(\.skipped))
  }
}
