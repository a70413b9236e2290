import IR
import Synchronization

/// Where every intermediate value of a graph lives: one arena, an offset per storage group.
///
/// Liveness, views and in-place reuse are worked out once, symbolically (`BufferLiveness`);
/// sizes depend on the symbols (`B`, `S`), so offsets are placed per distinct binding of the
/// symbols the buffers mention, and cached (safe to call from several threads).
///
///     let plan = try MemoryPlan(graph: graph)
///     let resolved = try plan.resolve(bindings: ["B": 8, "S": 160_000])
///     resolved.peakBytes          // the arena size
public struct MemoryPlan: Sendable {
  /// Every size is rounded up to this many bytes, and every offset is a multiple of it.
  public static let alignment = 64

  let liveness: BufferLiveness
  private let cache = ResolutionCache()

  public init(graph: Graph) throws {
    liveness = try BufferLiveness(graph: graph)
    symbols = liveness.groups.reduce(into: Set<String>()) { result, group in
      for dim in group.shape { result.formUnion(dim.symbols) }
    }
  }

  /// The symbols the buffer sizes depend on: `resolve` needs a value for each.
  public let symbols: Set<String>

  /// The plan for concrete symbol values (extra bindings are ignored). Computed once per
  /// distinct binding of `symbols`.
  public func resolve(bindings: [String: Int]) throws -> ResolvedMemoryPlan {
    let missing = symbols.filter { bindings[$0] == nil }.sorted()
    guard missing.isEmpty else { throw MemoryPlanError.unboundSymbols(missing) }
    let relevant = bindings.filter { symbols.contains($0.key) }
    if let cached = cache.plan(for: relevant) { return cached }
    let plan = try Self.place(liveness, bindings: relevant)
    return cache.store(plan, for: relevant)
  }

  /// How many distinct bindings have been resolved (and are cached).
  public var cachedResolutions: Int { cache.count }

  private static func place(_ liveness: BufferLiveness, bindings: [String: Int]) throws -> ResolvedMemoryPlan {
    func bytes(_ shape: [DimExpr], _ elementBytes: Int, _ name: String) throws -> Int {
      var count = elementBytes
      for dim in shape {
        guard let value = dim.evaluate(bindings) else { throw MemoryPlanError.unboundSymbols(dim.symbols.sorted()) }
        let (product, overflow) = count.multipliedReportingOverflow(by: Swift.max(value, 0))
        guard !overflow else { throw MemoryPlanError.sizeOverflow(name) }
        count = product
      }
      return (count + alignment - 1) / alignment * alignment
    }
    var requests: [ArenaPlacement.Request] = []
    for group in liveness.groups {
      requests.append(.init(bytes: try bytes(group.shape, group.elementBytes, group.owner), first: group.first, last: group.last))
    }
    let offsets = ArenaPlacement.place(requests)

    var buffers: [ResolvedMemoryPlan.Buffer] = []
    var unplanned = 0
    for entry in liveness.entries {
      let size = try bytes(entry.shape, entry.elementBytes, entry.name)
      if entry.reuse != .view { unplanned += size }
      buffers.append(
        .init(
          value: entry.name, offset: entry.group.map { offsets[$0] }, bytes: size, first: entry.first, last: entry.last,
          inPlaceOf: entry.reusedValue, reuse: entry.reuse))
    }
    // Live bytes at each step: a difference array over group lifetimes.
    var change = [Int](repeating: 0, count: liveness.steps + 2)
    for request in requests {
      change[request.first] += request.bytes
      change[request.last + 1] -= request.bytes
    }
    var live = 0
    var liveMaximum = 0
    for delta in change {
      live += delta
      liveMaximum = Swift.max(liveMaximum, live)
    }
    let peak = zip(offsets, requests).map { $0 + $1.bytes }.max() ?? 0
    return ResolvedMemoryPlan(
      bindings: bindings, alignment: alignment, steps: liveness.steps, peakBytes: peak, unplannedBytes: unplanned,
      liveMaximumBytes: liveMaximum, buffers: buffers)
  }
}

/// A memory plan for concrete sizes: what `plan.json` holds.
public struct ResolvedMemoryPlan: Codable, Sendable, Equatable {
  /// How a buffer shares memory with another value.
  public enum Reuse: String, Codable, Sendable {
    /// A reshape: the same bytes under another shape.
    case view
    /// An elementwise result written over an operand that dies at that node.
    case inPlace = "in-place"
  }

  /// One node result. Steps count top-level nodes in schedule order from 0; `last` is the
  /// last step that reads it (`steps` for graph outputs).
  public struct Buffer: Codable, Sendable, Equatable {
    public var value: String
    /// Where it lives in the arena; nil for a view of an input or parameter (no arena memory).
    public var offset: Int?
    /// Its size, rounded up to the alignment.
    public var bytes: Int
    public var first: Int
    public var last: Int
    /// The value whose memory it reuses (see `reuse`).
    public var inPlaceOf: String?
    public var reuse: Reuse?
  }

  public var bindings: [String: Int]
  public var alignment: Int
  /// The number of steps (top-level nodes).
  public var steps: Int
  /// The arena size.
  public var peakBytes: Int
  /// Every buffer allocated on its own, never freed (views excluded: they own no memory).
  public var unplannedBytes: Int
  /// The most bytes live at one step: no placement of these buffers can use less.
  public var liveMaximumBytes: Int
  public var buffers: [Buffer]
}

/// Resolved plans by binding, shared by copies of a `MemoryPlan`.
private final class ResolutionCache: Sendable {
  private let plans = Mutex<[[String: Int]: ResolvedMemoryPlan]>([:])

  func plan(for bindings: [String: Int]) -> ResolvedMemoryPlan? { plans.withLock { $0[bindings] } }

  /// Stores a plan unless another thread stored one first; returns the stored one.
  func store(_ plan: ResolvedMemoryPlan, for bindings: [String: Int]) -> ResolvedMemoryPlan {
    plans.withLock { cached in
      if let existing = cached[bindings] { return existing }
      cached[bindings] = plan
      return plan
    }
  }

  var count: Int { plans.withLock { $0.count } }
}
