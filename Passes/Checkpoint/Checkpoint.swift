import IR

/// Gradient checkpointing as a pass: the backward recomputes some forward values instead of
/// keeping them from the forward pass, trading operations for memory.
///
///     before                                   after (checkpoint=layers)
///     %h1 = mul(%a0, %layers.1.w)              %h1 = mul(%a0, %layers.1.w)
///     %a1 = exp(%h1)      (kept for backward)  %a1 = exp(%h1)      (dies in the forward)
///     %loss = reduce_sum(%a1)                  %loss = reduce_sum(%a1)
///     …                                        %recompute.h1 = mul(%a0, %layers.1.w)
///                                              %recompute.a1 = exp(%recompute.h1)
///     %3 = mul(%2, %a1)                        %3 = mul(%2, %recompute.a1)
///
/// Run it after `autodiff` and after `cse` (which would otherwise merge the copies with the
/// values they copy; `cse` leaves values named `recompute.*` alone for that reason), and before
/// fusion.
public enum CheckpointStrategy: Sendable, Equatable, CustomStringConvertible {
  /// Segments of ⌈√n⌉ consecutive layers of each stack (Chen et al. 2016): the segments'
  /// outputs are kept, everything inside a segment is recomputed during its backward.
  case sqrt
  /// Every layer its own segment, as transformers' `gradient_checkpointing_enable()` does for
  /// Wav2Vec2 (each conv layer and each encoder layer): the layers' outputs are kept.
  case layers
  /// Recompute cheap values until the planned peak at the given sizes fits this many bytes.
  case budget(bytes: Int)

  public var description: String {
    switch self {
    case .sqrt: "sqrt"
    case .layers: "layers"
    case .budget(let bytes): "budget:\(bytes)"
    }
  }

  /// `sqrt`, `layers`, `budget:BYTES` (BYTES may end in KiB, MiB, GiB, or K, M, G as powers of 1024).
  public init(parsing text: String) throws(PassError) {
    switch text {
    case "sqrt", "": self = .sqrt
    case "layers": self = .layers
    default:
      guard text.hasPrefix("budget:"), let bytes = Self.bytes(String(text.dropFirst("budget:".count))), bytes > 0 else {
        throw PassError.badArgument(pass: "checkpoint", text, expected: "sqrt, layers or budget:BYTES (e.g. budget:4GiB)")
      }
      self = .budget(bytes: bytes)
    }
  }

  /// A byte count: digits with an optional binary unit.
  public static func bytes(_ text: String) -> Int? {
    let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
      guard let number = Double(text.dropLast(suffix.count)), number.isFinite, number >= 0 else { return nil }
      return Int(number * Double(scale))
    }
    return Int(text)
  }
}

/// The examples' graph: two layers and their backward, as autodiff and cleanup leave it.
private let twoLayerBackward = """
graph @g {
  input %x: f32[4]
  param %encoder.layers.0.dense.w: f32[4]
  param %encoder.layers.1.dense.w: f32[4]
  %h0 = mul(%x, %encoder.layers.0.dense.w) : f32[4]
  %a0 = exp(%h0) : f32[4]
  %h1 = mul(%a0, %encoder.layers.1.dense.w) : f32[4]
  %a1 = exp(%h1) : f32[4]
  %loss = reduce_sum(%a1) {axes = [0], keepdims = false} : f32[]
  %0 = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
  %1 = reshape(%0) {shape = [1]} : f32[1]
  %2 = broadcast_to(%1) {shape = [4]} : f32[4]
  %3 = mul(%2, %a1) : f32[4]
  %4 = mul(%3, %encoder.layers.1.dense.w) : f32[4]
  %5 = mul(%3, %a0) : f32[4]
  %6 = mul(%4, %a0) : f32[4]
  %8 = mul(%6, %x) : f32[4]
  output loss = %loss
  output grad.encoder.layers.0.dense.w = %8
  output grad.encoder.layers.1.dense.w = %5
}
"""

/// The `checkpoint` pass for a strategy; `bindings` are the sizes the budget strategy plans
/// for (the compile's `--plan-for`).
public func checkpoint(_ strategy: CheckpointStrategy = .sqrt, bindings: [String: Int] = CheckpointDefaults.bindings) -> Pass {
  Pass(
    name: "checkpoint",
    summary: "gradient checkpointing: the backward recomputes forward values instead of keeping them",
    details: """
      Chooses which forward activations the backward keeps and which it recomputes, then clones \
      the forward nodes of each recomputed value just before the first backward node that reads \
      it (operands resolved the same way, each value recomputed once), naming the copies \
      `recompute.<name>`. Strategies: `checkpoint=sqrt` (the default) keeps the outputs of \
      segments of ⌈√n⌉ layers of the conv stack and of the encoder and recomputes inside them; \
      `checkpoint=layers` makes every layer a segment, as transformers' \
      `gradient_checkpointing_enable()`; both keep, inside a segment, the result of a \
      convolution that costs at least 256 operations per byte to redo (the feature encoder's \
      layers 1 to 6 in base); `checkpoint=budget:BYTES` recomputes memory-bound values \
      (elementwise, norms, softmax, dropout masks, shapes) whose recomputation needs only values \
      kept anyway, most bytes per operation first, until the memory plan's peak at the compile's \
      `--plan-for` sizes fits the budget (a greedy ranking with bisection on its length, in the \
      spirit of Inductor's min-cut partitioner: matrix products are never repeated). Run it \
      after `cse`, which leaves `recompute.*` values alone so that it cannot undo this pass, and \
      before fusion. Recomputation repeats the same ops on the same operands (dropout masks are \
      a function of seed and stream), so gradients are unchanged.
      """,
    examples: [
      PassExample(
        "Every layer a segment: the backward recomputes layer 1 from layer 0's output",
        argument: "layers",
        before: twoLayerBackward,
        after: """
          graph @g {
            input %x: f32[4]
            param %encoder.layers.0.dense.w: f32[4]
            param %encoder.layers.1.dense.w: f32[4]
            %h0 = mul(%x, %encoder.layers.0.dense.w) : f32[4]
            %a0 = exp(%h0) : f32[4]
            %h1 = mul(%a0, %encoder.layers.1.dense.w) : f32[4]
            %a1 = exp(%h1) : f32[4]
            %loss = reduce_sum(%a1) {axes = [0], keepdims = false} : f32[]
            %0 = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
            %1 = reshape(%0) {shape = [1]} : f32[1]
            %2 = broadcast_to(%1) {shape = [4]} : f32[4]
            %recompute.h1 = mul(%a0, %encoder.layers.1.dense.w) : f32[4]
            %recompute.a1 = exp(%recompute.h1) : f32[4]
            %3 = mul(%2, %recompute.a1) : f32[4]
            %4 = mul(%3, %encoder.layers.1.dense.w) : f32[4]
            %5 = mul(%3, %a0) : f32[4]
            %6 = mul(%4, %a0) : f32[4]
            %8 = mul(%6, %x) : f32[4]
            output loss = %loss
            output grad.encoder.layers.0.dense.w = %8
            output grad.encoder.layers.1.dense.w = %5
          }

          """),
      PassExample(
        "sqrt: two layers make one segment of ⌈√2⌉ = 2, so everything in it is recomputed",
        before: twoLayerBackward,
        after: """
          graph @g {
            input %x: f32[4]
            param %encoder.layers.0.dense.w: f32[4]
            param %encoder.layers.1.dense.w: f32[4]
            %h0 = mul(%x, %encoder.layers.0.dense.w) : f32[4]
            %a0 = exp(%h0) : f32[4]
            %h1 = mul(%a0, %encoder.layers.1.dense.w) : f32[4]
            %a1 = exp(%h1) : f32[4]
            %loss = reduce_sum(%a1) {axes = [0], keepdims = false} : f32[]
            %0 = constant() {dtype = f32, shape = [], value = 1.0} : f32[]
            %1 = reshape(%0) {shape = [1]} : f32[1]
            %2 = broadcast_to(%1) {shape = [4]} : f32[4]
            %recompute.h0 = mul(%x, %encoder.layers.0.dense.w) : f32[4]
            %recompute.a0 = exp(%recompute.h0) : f32[4]
            %recompute.h1 = mul(%recompute.a0, %encoder.layers.1.dense.w) : f32[4]
            %recompute.a1 = exp(%recompute.h1) : f32[4]
            %3 = mul(%2, %recompute.a1) : f32[4]
            %4 = mul(%3, %encoder.layers.1.dense.w) : f32[4]
            %5 = mul(%3, %recompute.a0) : f32[4]
            %6 = mul(%4, %recompute.a0) : f32[4]
            %8 = mul(%6, %x) : f32[4]
            output loss = %loss
            output grad.encoder.layers.0.dense.w = %8
            output grad.encoder.layers.1.dense.w = %5
          }

          """),
    ]
  ) { graph in
    guard graph.outputs.contains(where: { $0.name.hasPrefix("grad.") }) else {
      throw PassError.badArgument(pass: "checkpoint", "a graph without grad. outputs", expected: "a differentiated graph: run autodiff first")
    }
    guard !graph.values.contains(where: { Rematerialization.isRecomputed($0.name) }) else {
      throw PassError.badArgument(pass: "checkpoint", "a graph with recompute.* values", expected: "a graph not yet checkpointed")
    }
    let recompute: Set<ValueID>
    switch strategy {
    case .sqrt:
      recompute = CheckpointChoice.segmented(graph) { layers in Int(Double(layers).squareRoot().rounded(.up)) }
    case .layers:
      recompute = CheckpointChoice.segmented(graph) { _ in 1 }
    case .budget(let bytes):
      let choice = try CheckpointChoice.budget(graph, bytes: bytes, bindings: bindings)
      guard choice.fits else { throw CheckpointError.budgetTooSmall(budget: bytes, reachable: choice.peak, bindings: bindings) }
      recompute = choice.recompute
    }
    return Rematerialization.apply(graph, recompute: recompute)
  }
}

public enum CheckpointDefaults {
  /// The sizes a budget is planned for when none are given: the compile's training default,
  /// batch 8 × 10 s (S = 160,000 samples, L = 150 characters).
  public static let bindings = ["B": 8, "S": 160_000, "L": 150]
}

public enum CheckpointError: Error, CustomStringConvertible {
  case budgetTooSmall(budget: Int, reachable: Int, bindings: [String: Int])

  public var description: String {
    switch self {
    case .budgetTooSmall(let budget, let reachable, let bindings):
      let sizes = bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
      return "checkpoint=budget:\(budget): the smallest planned peak recomputation reaches is \(reachable) bytes at \(sizes); raise the budget or use checkpoint=layers"
    }
  }
}
