import IR

/// The precision a mixed-precision pass gives matrix products and convolutions.
public enum LowPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
  case bf16, fp16

  public var dtype: DType { self == .bf16 ? .bf16 : .f16 }
  public var description: String { rawValue }
}

/// Mixed precision as a pass: matrix products and convolutions (forward and backward) take
/// bf16 or f16 copies of their f32 operands and accumulate in f32; everything else stays f32.
///
///     before                                   after (mixed-precision=bf16)
///     %y = linear(%x, %w, %b) : f32[N, 4]      %x.bf16 = cast(%x) {to = bf16} : bf16[N, 8]
///                                              %w.bf16 = cast(%w) {to = bf16} : bf16[4, 8]
///                                              %b.bf16 = cast(%b) {to = bf16} : bf16[4]
///                                              %y.bf16 = linear(%x.bf16, %w.bf16, %b.bf16) : bf16[N, 4]
///                                              %y = cast(%y.bf16) {to = f32} : f32[N, 4]
///
/// Each value is cast once, before its first use by such an op, and every later use shares the
/// copy: a weight is cast once per step (the f32 weights stay the master copy the optimizer
/// updates), and the backward's products read the forward's copies. The products' results are
/// widened back at once, so norms, softmax, log_softmax, the CTC loss, reductions and the loss
/// are f32 islands without casts of their own. `simplify` removes a widening cast whose value is
/// narrowed straight back. Run it after `autodiff`, so the backward's products are converted
/// too, and before the cleanup.
///
/// One departure from torch.autocast: a convolution whose filter reads fewer than
/// ``smallestLowPrecisionFilter`` values per output (channels per group × kernel) stays f32, with
/// its weight gradient. Wav2Vec2's first convolution reads 10 samples of one channel: memory
/// bound, it gains nothing from bf16 products, and its copies would cost a pass over the raw
/// waveform, another narrowing its 512-channel output and a third widening it back for the
/// group norm (50 ms of a 10 s clip's 0.7 s bf16 inference on this machine). f32 is also the
/// closer result.
public func mixedPrecision(_ precision: LowPrecision = .bf16) -> Pass {
  Pass(
    name: "mixed-precision",
    summary: "bf16 or f16 operands for matrix products and convolutions, f32 accumulation and f32 everywhere else",
    details: """
      `mixed-precision=bf16` (the default) or `mixed-precision=fp16`. Every matmul, linear and \
      conv1d, and the backward's linear_weight_grad, conv1d_input_grad and conv1d_weight_grad, \
      whose operands are f32 takes low-precision copies of them (each value cast once, before \
      its first such use, and shared by later ones: weights are cast once per step and the f32 \
      weights stay the optimizer's master copy). A convolution whose filter reads fewer than \
      32 values per output (channels per group × kernel: Wav2Vec2's first, over the waveform) \
      stays f32 with its weight gradient: memory bound, it would only pay for the casts. \
      The kernels accumulate in f32 and round their \
      result to the low precision, which is widened back to f32 at once, so norms, softmax, \
      log_softmax, the CTC loss, reductions and the loss run in f32 (as torch.autocast keeps \
      them). Run it after `autodiff` and before the cleanup: `simplify` then folds a widening \
      cast that is narrowed straight back, and `cse` merges equal casts. fp16 training needs \
      loss scaling, which the trainer does (`asrc train --fp16`); bf16 has f32's range and \
      needs none.
      """,
    examples: [
      PassExample(
        "A linear layer in bf16; the weight's copy serves the weight gradient too",
        before: """
          graph @g {
            input %x: f32[N, 8]
            input %dy: f32[N, 4]
            param %w: f32[4, 8]
            %y = linear(%x, %w) : f32[N, 4]
            %dw = linear_weight_grad(%dy, %x) : f32[4, 8]
            output y = %y
            output grad.w = %dw
          }
          """,
        after: """
          graph @g {
            input %x: f32[N, 8]
            input %dy: f32[N, 4]
            param %w: f32[4, 8]
            %x.bf16 = cast(%x) {to = bf16} : bf16[N, 8]
            %w.bf16 = cast(%w) {to = bf16} : bf16[4, 8]
            %y.bf16 = linear(%x.bf16, %w.bf16) : bf16[N, 4]
            %y = cast(%y.bf16) {to = f32} : f32[N, 4]
            %dy.bf16 = cast(%dy) {to = bf16} : bf16[N, 4]
            %dw.bf16 = linear_weight_grad(%dy.bf16, %x.bf16) : bf16[4, 8]
            %dw = cast(%dw.bf16) {to = f32} : f32[4, 8]
            output y = %y
            output grad.w = %dw
          }

          """),
      PassExample(
        "A convolution over the waveform (1 channel × 10 taps) stays f32; the one after it does not",
        before: """
          graph @g {
            input %x: f32[N, 1, T]
            param %w0: f32[16, 1, 10]
            param %w1: f32[8, 16, 3]
            %h = conv1d(%x, %w0) {stride = 5, padding = 0, dilation = 1, groups = 1} : f32[N, 16, (T - 10) / 5 + 1]
            %y = conv1d(%h, %w1) {stride = 2, padding = 0, dilation = 1, groups = 1} : f32[N, 8, (T - 20) / 10 + 1]
            output y = %y
          }
          """,
        after: """
          graph @g {
            input %x: f32[N, 1, T]
            param %w0: f32[16, 1, 10]
            param %w1: f32[8, 16, 3]
            %h = conv1d(%x, %w0) {stride = 5, padding = 0, dilation = 1, groups = 1} : f32[N, 16, (T - 10) / 5 + 1]
            %h.bf16 = cast(%h) {to = bf16} : bf16[N, 16, (T - 10) / 5 + 1]
            %w1.bf16 = cast(%w1) {to = bf16} : bf16[8, 16, 3]
            %y.bf16 = conv1d(%h.bf16, %w1.bf16) {stride = 2, padding = 0, dilation = 1, groups = 1} : bf16[N, 8, (T - 20) / 10 + 1]
            %y = cast(%y.bf16) {to = f32} : f32[N, 8, (T - 20) / 10 + 1]
            output y = %y
          }

          """),
    ]
  ) { graph in
    convert(graph, to: precision.dtype)
  }
}

/// The ops whose operands go to low precision: the products, forward and backward.
let lowPrecisionOps: Set<Op> = [.matmul, .linear, .conv1d, .linearWeightGrad, .conv1dInputGrad, .conv1dWeightGrad]

/// The fewest values per output (channels per group × kernel) a convolution's filter reads for
/// it to run in low precision: below it the product is memory bound and the casts cost more
/// than it saves.
public let smallestLowPrecisionFilter = 32

/// Whether `node` is a convolution (or the weight gradient of one) whose filter reads fewer
/// than ``smallestLowPrecisionFilter`` values per output, both sizes known.
private func isThinConvolution(_ node: Node, in graph: Graph) -> Bool {
  let filter: TensorType
  switch node.op {
  case .conv1d, .conv1dInputGrad: filter = graph.type(of: node.operands[1])
  case .conv1dWeightGrad: filter = graph.type(of: node.result)
  default: return false
  }
  guard filter.rank == 3, let channels = filter.shape[1].constantValue, let kernel = filter.shape[2].constantValue else { return false }
  return channels * kernel < smallestLowPrecisionFilter
}

private func convert(_ graph: Graph, to dtype: DType) -> Graph {
  var result = graph
  result.nodes = []
  var copies: [ValueID: ValueID] = [:]
  let suffix = "." + (dtype == .bf16 ? "bf16" : "f16")
  var names = Set(graph.values.map(\.name))
  func unique(_ name: String) -> String {
    var candidate = name
    var number = 1
    while names.contains(candidate) {
      number += 1
      candidate = name + "_\(number)"
    }
    names.insert(candidate)
    return candidate
  }
  for node in graph.nodes {
    guard lowPrecisionOps.contains(node.op), node.region == nil, node.operands.allSatisfy({ graph.type(of: $0).dtype == .f32 }),
      !isThinConvolution(node, in: graph)
    else {
      result.nodes.append(node)
      continue
    }
    var product = node
    product.operands = node.operands.map { operand in
      if let copy = copies[operand] { return copy }
      let copy = result.addValue(name: unique(graph.name(of: operand) + suffix), type: graph.type(of: operand).with(dtype: dtype), role: .result)
      result.nodes.append(Node(op: .cast, operands: [operand], attributes: ["to": .dtype(dtype)], result: copy))
      copies[operand] = copy
      return copy
    }
    let low = result.addValue(name: unique(graph.name(of: node.result) + suffix), type: graph.type(of: node.result).with(dtype: dtype), role: .result)
    product.result = low
    result.nodes.append(product)
    result.nodes.append(Node(op: .cast, operands: [low], attributes: ["to": .dtype(.f32)], result: node.result))
    // The widened result narrows back to exactly this value: a later product reads it directly.
    copies[node.result] = low
  }
  return result
}
