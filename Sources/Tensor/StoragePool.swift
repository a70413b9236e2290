import Synchronization

/// A caching allocator for tensor storage.
///
/// glibc serves large blocks with mmap and unmaps them on free, so every activation of a
/// forward or training step would be faulted in page by page again on the next step (half a
/// million page faults per base-model pass, a third of its time on this machine). Freed large
/// blocks are kept here by size class and handed out again; steps repeat the same shapes, so
/// after the first step almost every allocation is a reuse. Blocks below `smallLimit` go
/// straight to the system allocator, and at most `cacheLimit` bytes stay cached.
public final class StoragePool: Sendable {
  public static let shared = StoragePool()

  static let smallLimit = 64 << 10
  let cacheLimit: Int

  private struct State {
    var free: [Int: [UnsafeMutableRawPointer]] = [:]
    var cachedBytes = 0
  }
  // Raw pointers are only ever handed to one owner at a time.
  private let state = Mutex(UncheckedBox(State()))

  public init(cacheLimit: Int = 6 << 30) { self.cacheLimit = cacheLimit }

  /// Size classes 1/8 of a power of two apart, so that similar shapes share blocks.
  static func sizeClass(_ byteCount: Int) -> Int {
    guard byteCount > smallLimit else { return byteCount }
    let top = Int.bitWidth - byteCount.leadingZeroBitCount - 1
    let step = 1 << Swift.max(top - 3, 6)
    return (byteCount + step - 1) / step * step
  }

  public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
    let size = Self.sizeClass(Swift.max(byteCount, 1))
    if size > Self.smallLimit {
      let reused: UnsafeMutableRawPointer? = state.withLock { box in
        guard let block = box.value.free[size]?.popLast() else { return nil }
        box.value.cachedBytes -= size
        return block
      }
      if let reused { return reused }
    }
    return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
  }

  public func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
    let size = Self.sizeClass(Swift.max(byteCount, 1))
    if size > Self.smallLimit {
      let kept = state.withLock { box in
        guard box.value.cachedBytes + size <= cacheLimit else { return false }
        box.value.free[size, default: []].append(pointer)
        box.value.cachedBytes += size
        return true
      }
      if kept { return }
    }
    pointer.deallocate()
  }

  /// Returns every cached block to the system.
  public func trim() {
    let blocks = state.withLock { box in
      defer { box.value = State() }
      return box.value.free.values.flatMap { $0 }
    }
    for block in blocks { block.deallocate() }
  }
}

private struct UncheckedBox<Value>: @unchecked Sendable {
  var value: Value
  init(_ value: Value) { self.value = value }
}
