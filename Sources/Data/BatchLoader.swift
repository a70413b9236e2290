import Audio
import Dispatch
import Foundation

/// Decodes batches on a background thread, a few batches ahead of the consumer, so that a
/// corpus much larger than memory streams. With `cache`, decoded 16 kHz audio is kept in
/// memory after its first use (fine for TIMIT-sized corpora).
///
/// An utterance whose audio fails to decode is left out of its batch and reported in the
/// batch's `skipped`; a batch left with no utterance is skipped with them.
///
/// With `augment`, each decoded clip (with its dataset index) goes through it before the
/// collator normalises and pads the batch; the batch's items carry the augmented lengths.
public final class BatchLoader: @unchecked Sendable {
  /// A training clip's augmentation: (dataset index, 16 kHz samples) to the samples to train on.
  public typealias Augment = @Sendable (_ index: Int, _ samples: [Float]) throws -> [Float]
  private let dataset: Dataset
  private let collator: Collator
  private let batches: [[Int]]
  private let prefetch: Int
  private let cache: AudioCache?
  private let augment: Augment?
  private let lock = NSCondition()
  private var ready: [Int: TrainingBatch] = [:]
  private var nextToProduce = 0
  private var nextToConsume = 0
  private var cancelled = false

  public init(dataset: Dataset, collator: Collator, batches: [[Int]], prefetch: Int = 2, cache: AudioCache? = nil, augment: Augment? = nil) {
    self.dataset = dataset
    self.collator = collator
    self.batches = batches
    self.prefetch = Swift.max(1, prefetch)
    self.cache = cache
    self.augment = augment
    let thread = Thread { [weak self] in self?.produce() }
    thread.name = "asrc batch loader"
    thread.start()
  }

  deinit { cancel() }

  public var count: Int { batches.count }

  /// The next batch in order, or nil at the end. Blocks while the worker is still decoding it.
  public func next() -> TrainingBatch? {
    lock.lock()
    defer { lock.unlock() }
    guard nextToConsume < batches.count else { return nil }
    while ready[nextToConsume] == nil && !cancelled { lock.wait() }
    guard let batch = ready.removeValue(forKey: nextToConsume) else { return nil }
    nextToConsume += 1
    lock.broadcast()
    return batch
  }

  public func cancel() {
    lock.lock()
    cancelled = true
    lock.broadcast()
    lock.unlock()
  }

  private func produce() {
    while true {
      lock.lock()
      while !cancelled && nextToProduce < batches.count && nextToProduce - nextToConsume >= prefetch { lock.wait() }
      if cancelled || nextToProduce >= batches.count {
        lock.unlock()
        return
      }
      let index = nextToProduce
      nextToProduce += 1
      lock.unlock()
      let batch = load(batches[index])
      lock.lock()
      ready[index] = batch
      lock.broadcast()
      lock.unlock()
    }
  }

  private func load(_ indices: [Int]) -> TrainingBatch {
    var items: [Dataset.Item] = []
    var audio: [[Float]] = []
    var skipped: [SkippedEntry] = []
    for index in indices {
      var item = dataset.items[index]
      do {
        var samples = try cache?.samples(for: item.utterance.audioPath) ?? AudioFile.load(item.utterance.audioPath)
        if let augment {
          samples = try augment(index, samples)
          item.sampleCount = samples.count
        }
        audio.append(samples)
        items.append(item)
      } catch {
        skipped.append(SkippedEntry(path: item.utterance.audioPath, reason: "\((error as? AudioError)?.reason ?? "\(error)")"))
      }
    }
    return collator.collate(items, audio: audio, skipped: skipped)
  }
}

/// Decoded 16 kHz audio kept in memory after first use.
public final class AudioCache: @unchecked Sendable {
  private var samples: [String: [Float]] = [:]
  private let lock = NSLock()

  public init() {}

  public func samples(for path: String) throws -> [Float] {
    lock.lock()
    if let cached = samples[path] {
      lock.unlock()
      return cached
    }
    lock.unlock()
    let decoded = try AudioFile.load(path)
    lock.lock()
    samples[path] = decoded
    lock.unlock()
    return decoded
  }
}
