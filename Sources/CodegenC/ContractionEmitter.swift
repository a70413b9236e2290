import IR

/// matmul, linear and conv1d with their gradient ops, through the prelude's row-major GEMMs
/// (`asrc_sgemm` on oneDNN, `asrc_dgemm` on OpenBLAS; batched heads in one oneDNN matmul);
/// conv1d as im2col + GEMM per sample and group, the interpreter's algorithm (f32 forward
/// convolutions with few taps per output by direct loops, `DirectConvolutionEmitter`, and the
/// others on oneDNN's convolution first, `FloatConvolutionPrelude`). On f16 and bf16
/// the operands stay half and the half GEMM (`HalfPrelude.gemm`) sums in f32 into an f32
/// scratch result, rounded to the half dtype once at the end, as the interpreter rounds its
/// widened GEMM.
enum ContractionEmitter {
  static let ops: Set<Op> = [.matmul, .linear, .linearWeightGrad, .conv1d, .conv1dInputGrad, .conv1dWeightGrad]

  /// f32 convolutions with more taps than the direct loops take try oneDNN's convolution first
  /// (`FloatConvolutionPrelude`), falling back to im2col + GEMM when it declines.
  static func runsOnOneDNNForwardConvolution(_ node: Node, input: TensorType, weight: TensorType) -> Bool {
    node.op == .conv1d && input.dtype == .f32 && weight.dtype == .f32 && !DirectConvolutionEmitter.applies(to: node, input: input, weight: weight)
  }

  /// The bf16 input gradients of ungrouped convolutions try oneDNN's convolution first
  /// (`HalfConvolutionPrelude`), falling back to im2col + GEMM when it cannot run them.
  static func runsOnOneDNNHalfInputGradient(_ node: Node, _ dtype: DType) -> Bool {
    node.op == .conv1dInputGrad && dtype == .bf16 && (try? node.attributes.int("groups")) == 1
  }

  static func emit(
    _ node: Node, operands: [CTensor], result final: CTensor, scratch: (TensorType, String) -> CTensor, _ w: CWriter, _ context: EmitContext
  ) throws {
    let dtype = final.type.dtype
    if runsOnOneDNNHalfInputGradient(node, dtype) {
      let dy = context.dims(operands[0].type), weight = context.dims(operands[1].type), dx = context.dims(final.type)
      let attributes = node.attributes
      let geometry = [dy[0], dx[1], dx[2], weight[0], weight[2], dy[2]].joined(separator: ", ")
      let options = [try attributes.int("stride"), try attributes.int("padding"), try attributes.int("dilation")].map(String.init).joined(separator: ", ")
      w.open("if (asrc_conv1d_input_grad_bf16(\(geometry), \(options), \(operands[0].pointer), \(operands[1].pointer), \(final.pointer)))")
      try emitContraction(node, operands: operands, result: final, scratch: scratch, w, context)
      w.close()
      return
    }
    try emitContraction(node, operands: operands, result: final, scratch: scratch, w, context)
  }

  private static func emitContraction(
    _ node: Node, operands: [CTensor], result final: CTensor, scratch: (TensorType, String) -> CTensor, _ w: CWriter, _ context: EmitContext
  ) throws {
    let dtype = final.type.dtype
    let gemm = GemmCall(dtype: dtype, value: context.name(node.result))
    // Half results are summed into f32 scratch first.
    let result = gemm.isHalf ? scratch(TensorType(.f32, final.type.shape), "f32 sums of the \(dtype) result") : final
    let type = result.elementType
    let y = result.pointer
    switch node.op {
    case .matmul:
      let (a, b) = (operands[0], operands[1])
      let aSizes = context.dims(a.type), bSizes = context.dims(b.type)
      let m = aSizes[aSizes.count - 2], k = aSizes[aSizes.count - 1], n = bSizes[bSizes.count - 1]
      let batchShape = Array(result.type.shape.dropLast(2))
      w.open("")
      w.line("const int64_t m = \(m), k = \(k), n = \(n);")
      if b.type.rank == 2 {
        // A weight without batch axes: a's batch folds into the rows of one GEMM.
        w.line(gemm.call(0, 0, "\(CNames.product(batchShape.map(context.dim))) * m", "n", "k", a.pointer, "k", b.pointer, "n", 0, y, "n"))
      } else if dtype != .f64, a.type.shape.dropLast(2) == batchShape[...], b.type.shape.dropLast(2) == batchShape[...] {
        // Every batch item has its own a and b (attention heads): one batched call.
        w.line(gemm.batched(CNames.product(batchShape.map(context.dim)), "m", "n", "k", a.pointer, b.pointer, y))
      } else {
        let aStrides = context.broadcastStrides(TensorType(a.type.dtype, Array(a.type.shape.dropLast(2))), to: batchShape)
        let bStrides = context.broadcastStrides(TensorType(b.type.dtype, Array(b.type.shape.dropLast(2))), to: batchShape)
        let outStrides = context.strides(TensorType(dtype, batchShape))
        emitLoops(batchShape.map(context.dim), w, context) { indices in
          w.line(
            gemm.call(
              0, 0, "m", "n", "k", "\(a.pointer) + (\(offset(indices, aStrides))) * m * k", "k", "\(b.pointer) + (\(offset(indices, bStrides))) * k * n", "n", 0,
              "\(y) + (\(offset(indices, outStrides))) * m * n", "n"))
        }
      }
      w.close()
    case .linear:
      let (x, weight) = (operands[0], operands[1])
      let wSizes = context.dims(weight.type)
      w.open("")
      w.line("const int64_t out_features = \(wSizes[0]), in_features = \(wSizes[1]);")
      w.line("const int64_t rows = in_features == 0 ? 0 : \(context.count(x.type)) / in_features;")
      // The bias fills the output before the GEMM adds to it (the interpreter's order). The
      // fill is a copy as large as the output, so it runs on every thread, not the caller's alone.
      if operands.count > 2 { w.line("#pragma omp parallel for if(rows * out_features >= ASRC_PARALLEL_MIN)") }
      if operands.count > 2 && gemm.isHalf {
        w.line("for (int64_t r = 0; r < rows; r++) for (int64_t j = 0; j < out_features; j++) \(y)[r * out_features + j] = \(CNames.widen(dtype))(\(operands[2].pointer)[j]);")
      } else if operands.count > 2 {
        w.line("for (int64_t r = 0; r < rows; r++) memcpy(\(y) + r * out_features, \(operands[2].pointer), (size_t)out_features * sizeof(\(type)));")
      }
      w.line(gemm.call(0, 1, "rows", "out_features", "in_features", x.pointer, "in_features", weight.pointer, "in_features", operands.count > 2 ? 1 : 0, y, "out_features"))
      w.close()
    case .linearWeightGrad:
      let (dy, x) = (operands[0], operands[1])
      w.open("")
      w.line("const int64_t out_features = \(context.dims(dy.type).last ?? "INT64_C(1)"), in_features = \(context.dims(x.type).last ?? "INT64_C(1)");")
      w.line("const int64_t rows = in_features == 0 ? 0 : \(context.count(x.type)) / in_features;")
      w.line("memset(\(y), 0, (size_t)(out_features * in_features) * sizeof(\(type)));")
      w.line(gemm.call(1, 0, "out_features", "in_features", "rows", dy.pointer, "out_features", x.pointer, "in_features", 0, y, "in_features"))
      w.close()
    case .conv1d, .conv1dInputGrad, .conv1dWeightGrad:
      try convolution(node, operands: operands, result: result, gemm: gemm, w, context)
    default:
      throw CodegenCError.unsupported(op: node.op, value: context.name(node.result), reason: "not a contraction")
    }
    if gemm.isHalf { HalfWidening.convert(result, into: final, with: CNames.narrow(dtype), w, context) }
  }

  /// The three convolution ops share the geometry and im2col / col2im.
  private static func convolution(_ node: Node, operands: [CTensor], result: CTensor, gemm: GemmCall, _ w: CWriter, _ context: EmitContext) throws {
    let attributes = node.attributes
    let type = result.elementType
    let (stride, padding, dilation, groups) = (try attributes.int("stride"), try attributes.int("padding"), try attributes.int("dilation"), try attributes.int("groups"))
    // (batch, channels, length, filters, kernel, output length) as the interpreter reads them.
    let geometry: [String]
    let input: CTensor
    switch node.op {
    case .conv1d:
      input = operands[0]
      let x = context.dims(operands[0].type), weight = context.dims(operands[1].type), y = context.dims(result.type)
      geometry = [x[0], x[1], x[2], weight[0], weight[2], y[2]]
    case .conv1dInputGrad:
      input = result
      let dy = context.dims(operands[0].type), weight = context.dims(operands[1].type), dx = context.dims(result.type)
      geometry = [dy[0], dx[1], dx[2], weight[0], weight[2], dy[2]]
    default:
      input = operands[1]
      let dy = context.dims(operands[0].type), x = context.dims(operands[1].type), dw = context.dims(result.type)
      geometry = [x[0], x[1], x[2], dw[0], dw[2], dy[2]]
    }
    w.open("")
    w.line("const int64_t batch = \(geometry[0]), channels = \(geometry[1]), length = \(geometry[2]), filters = \(geometry[3]), kernel = \(geometry[4]), out_length = \(geometry[5]);")
    w.line("const int64_t stride = \(stride), padding = \(padding), dilation = \(dilation), groups = \(groups);")
    w.line("const int64_t channels_per_group = channels / groups, filters_per_group = filters / groups, column_rows = channels_per_group * kernel;")
    // Columns hold input elements (half bits for f16 and bf16), or the input gradient's sums.
    let columnType = input.elementType
    let allocateColumns = "\(columnType) *columns = (\(columnType) *)asrc_scratch(column_rows * out_length * (int64_t)sizeof(\(columnType)));"
    if node.op != .conv1d {
      w.line(allocateColumns)
      w.line("if (!columns) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    }
    let x = input.pointer
    // Output positions t in [first, end) read (or add to) input position t * stride + shift
    // inside [0, length); the others read padding.
    let insideRange = [
      "const int64_t first_inside = shift >= 0 ? 0 : (stride - 1 - shift) / stride, first = first_inside < out_length ? first_inside : out_length;",
      "const int64_t last_inside = length - 1 - shift, end_inside = last_inside < 0 ? 0 : last_inside / stride + 1;",
      "const int64_t end = end_inside < first ? first : (end_inside < out_length ? end_inside : out_length);",
    ].joined(separator: " ")
    // One thread per block of channels when the columns are large (they are written once).
    // The positions that read padding are zeroed apart, so that the copy has no test per
    // element and a constant stride (2 in the feature encoder): with the test, the im2col of
    // the small model's second convolution (8 × 128 × 5,759 in) took 2.7 times as long.
    let im2col = """
      #pragma omp parallel for if(column_rows * out_length >= ASRC_PARALLEL_MIN)
      for (int64_t c = 0; c < channels_per_group; c++) {
        const \(columnType) *row = \(x) + (n * channels + group * channels_per_group + c) * length;
        for (int64_t k = 0; k < kernel; k++) {
          \(columnType) *restrict out = columns + (c * kernel + k) * out_length;
          const int64_t shift = k * dilation - padding;
          \(insideRange)
          for (int64_t t = 0; t < first; t++) out[t] = 0;
          const \(columnType) *restrict source = row + first * stride + shift;
          if (stride == 1 && end > first) memcpy(out + first, source, (size_t)(end - first) * sizeof(\(columnType)));
          else if (stride == 2) for (int64_t t = 0; t < end - first; t++) out[first + t] = source[2 * t];
          else for (int64_t t = 0; t < end - first; t++) out[first + t] = source[t * stride];
          for (int64_t t = end; t < out_length; t++) out[t] = 0;
        }
      }
      """
    switch node.op {
    case .conv1d where DirectConvolutionEmitter.applies(to: node, input: operands[0].type, weight: operands[1].type):
      DirectConvolutionEmitter.emit(
        node, input: x, weight: operands[1].pointer, bias: operands.count > 2 ? operands[2].pointer : nil, result: result.pointer, w, context)
    case .conv1d:
      let (weight, y) = (operands[1].pointer, result.pointer)
      let onOneDNN = runsOnOneDNNForwardConvolution(node, input: operands[0].type, weight: operands[1].type)
      if onOneDNN {
        let bias = operands.count > 2 ? operands[2].pointer : "NULL"
        w.open(
          "if (asrc_conv1d_f32(batch, channels, length, filters, kernel, out_length, stride, padding, dilation, groups, \(x), \(weight), \(bias), \(y)))")
      }
      openItemLoop(allocateColumns: allocateColumns, gemm: gemm, w)
      for line in im2col.split(separator: "\n") { w.line(String(line)) }
      w.line("\(type) *out = \(y) + (n * filters + group * filters_per_group) * out_length;")
      checkedItemGemm(
        gemm.expression(0, 0, "filters_per_group", "out_length", "column_rows", "\(weight) + group * filters_per_group * column_rows", "column_rows", "columns", "out_length", 0, "out", "out_length"), w)
      if operands.count > 2 {
        let biasType = operands[2].elementType
        let bias = gemm.isHalf ? "\(CNames.widen(operands[2].type.dtype))(bias[f])" : "bias[f]"
        w.line("const \(biasType) *bias = \(operands[2].pointer) + group * filters_per_group;")
        w.line("#pragma omp parallel for if(filters_per_group * out_length >= ASRC_PARALLEL_MIN)")
        w.line("for (int64_t f = 0; f < filters_per_group; f++) for (int64_t t = 0; t < out_length; t++) out[f * out_length + t] += \(bias);")
      }
      closeItemLoop(node, w, context)
      if onOneDNN { w.close() }
    case .conv1dInputGrad:
      // Each item writes its own rows of dx. The col2im loop runs over the output positions
      // that land inside the input, with no test per element, so that it vectorises; it was
      // serial and scalar, and the second core waited on it.
      let (dy, weight, dx) = (operands[0].pointer, operands[1].pointer, result.pointer)
      openItemLoop(allocateColumns: allocateColumns, gemm: gemm, w)
      w.comment("columns = W_gᵀ · dy_g, then added back into dx (col2im)")
      checkedItemGemm(
        gemm.expression(
          1, 0, "column_rows", "out_length", "filters_per_group", "\(weight) + group * filters_per_group * column_rows", "column_rows",
          "\(dy) + (n * filters + group * filters_per_group) * out_length", "out_length", 0, "columns", "out_length"), w)
      // Threaded over channels when the items run in turn (few items); one thread otherwise.
      w.line("#pragma omp parallel for if(column_rows * out_length >= ASRC_PARALLEL_MIN)")
      w.open("for (int64_t c = 0; c < channels_per_group; c++)")
      w.line("\(type) *restrict row = \(dx) + (n * channels + group * channels_per_group + c) * length;")
      w.line("memset(row, 0, (size_t)length * sizeof(\(type)));")
      w.open("for (int64_t k = 0; k < kernel; k++)")
      w.line("const \(type) *restrict column = columns + (c * kernel + k) * out_length;")
      w.line("const int64_t shift = k * dilation - padding;")
      w.line(insideRange)
      w.line("\(type) *restrict target = row + first * stride + shift;")
      w.line("const \(type) *restrict source = column + first;")
      w.line("if (stride == 1) for (int64_t t = 0; t < end - first; t++) target[t] += source[t];")
      w.line("else if (stride == 2) for (int64_t t = 0; t < end - first; t++) target[2 * t] += source[t];")
      w.line("else for (int64_t t = 0; t < end - first; t++) target[t * stride] += source[t];")
      w.close()
      w.close()
      closeItemLoop(node, w, context)
    default:
      let (dy, dw) = (operands[0].pointer, result.pointer)
      if !gemm.isHalf {
        let product = gemm.expression(
          0, 1, "filters_per_group", "column_rows", "out_length", "\(dy) + (n * filters + group * filters_per_group) * out_length", "out_length", "columns",
          "out_length", 1, "partial + group * filters_per_group * column_rows", "column_rows")
        emitItemsOverThreads(node, type: type, dw: dw, im2col: im2col, allocateColumns: allocateColumns, product: product, w, context)
      }
      w.line("memset(\(dw), 0, (size_t)(filters * column_rows) * sizeof(\(type)));")
      w.open("for (int64_t n = 0; n < batch; n++)")
      w.open("for (int64_t group = 0; group < groups; group++)")
      for line in im2col.split(separator: "\n") { w.line(String(line)) }
      w.comment("dW_g += dy_g · columnsᵀ")
      w.line(
        gemm.call(
          0, 1, "filters_per_group", "column_rows", "out_length", "\(dy) + (n * filters + group * filters_per_group) * out_length", "out_length", "columns",
          "out_length", 1, "\(dw) + group * filters_per_group * column_rows", "column_rows"))
      w.close()
      w.close()
      if !gemm.isHalf { w.close() }
    }
    w.close()
  }

  /// The f32 and f64 weight gradient with many items (a batch of 8 on 2 cores; the grouped
  /// positional convolution): the items run one per thread, each thread summing its items'
  /// products into its own copy of dW, and the copies are added in thread order, so for a given
  /// team size the sums do not depend on timing. The team may be smaller than asked for
  /// (OMP_DYNAMIC, OMP_THREAD_LIMIT): only the copies of the threads that ran are added. In
  /// turn, with threaded im2col and GEMMs, the items of the demo's second convolution took 1.4
  /// times as long (34 ms against 24 ms a step on 2 cores): the im2col loop and each GEMM
  /// started and joined the threads once per item, and the columns of one item (about 5 MB for
  /// a 2 s clip) did not stay in cache between the two. Opens the `else` of the few-items path,
  /// which the caller closes.
  private static func emitItemsOverThreads(
    _ node: Node, type: String, dw: String, im2col: String, allocateColumns: String, product: String, _ w: CWriter, _ context: EmitContext
  ) {
    let name = CNames.identifier(context.name(node.result))
    w.line("const int threads = omp_get_max_threads();")
    w.open("if (threads > 1 && batch * groups >= 4 * threads)")
    w.line("const int64_t dw_count = filters * column_rows;")
    w.line("\(type) *partials = (\(type) *)asrc_alloc((int64_t)threads * dw_count * (int64_t)sizeof(\(type)));")
    w.line("if (!partials) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    w.line("int failure = 0, team = 1;")
    w.line("#pragma omp parallel num_threads(threads)")
    w.open("")
    w.line("if (omp_get_thread_num() == 0) team = omp_get_num_threads();")
    w.line("\(type) *partial = partials + (int64_t)omp_get_thread_num() * dw_count;")
    w.line("memset(partial, 0, (size_t)dw_count * sizeof(\(type)));")
    w.line(allocateColumns)
    w.line("#pragma omp for schedule(static)")
    w.open("for (int64_t item = 0; item < batch * groups; item++)")
    w.line("const int64_t n = item / groups, group = item % groups;")
    w.open("if (!columns)")
    w.line("#pragma omp atomic write")
    w.line("failure = 1;")
    w.line("continue;")
    w.close()
    for line in im2col.split(separator: "\n") { w.line(String(line)) }
    w.comment("partial_g += dy_g · columnsᵀ")
    checkedItemGemm(product, w)
    w.close()
    w.close()
    w.line("if (failure) { free(partials); status = asrc_fail(ctx, failure == 1 ? \"out of memory\" : \"the GEMM of %s failed (out of memory, or the library rejected its arguments)\", \"\(name)\"); goto done; }")
    w.line("#pragma omp parallel for if(dw_count >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t i = 0; i < dw_count; i++)")
    w.line("\(type) sum = partials[i];")
    w.line("for (int thread = 1; thread < team; thread++) sum += partials[(int64_t)thread * dw_count + i];")
    w.line("\(dw)[i] = sum;")
    w.close()
    w.line("free(partials);")
    w.close()
    w.open("else")
  }

  /// Opens the loop over (sample, group) items that the forward and the input gradient share.
  /// Many items (the grouped positional convolution; a batch of 8 on 2 cores) run one per
  /// thread, each with its own columns (asrc_scratch is per thread) and a one-thread GEMM;
  /// few run in turn with threaded loops and GEMM. Errors are collected in `failure`, since no
  /// jump may leave an OpenMP loop. Half items run in turn: `asrc_gemm_half` splits each item's
  /// product over the threads itself (one single-threaded oneDNN primitive per part).
  private static func openItemLoop(allocateColumns: String, gemm: GemmCall, _ w: CWriter) {
    w.line("int failure = 0;")
    if !gemm.isHalf { w.line("#pragma omp parallel for if(batch * groups >= 4 * omp_get_max_threads())") }
    w.open("for (int64_t item = 0; item < batch * groups; item++)")
    w.line("const int64_t n = item / groups, group = item % groups;")
    w.line(allocateColumns)
    w.open("if (!columns)")
    w.line("#pragma omp atomic write")
    w.line("failure = 1;")
    w.line("continue;")
    w.close()
  }

  /// An item's GEMM: a nonzero result records the failure and skips the rest of the item.
  private static func checkedItemGemm(_ expression: String, _ w: CWriter) {
    w.open("if (\(expression))")
    w.line("#pragma omp atomic write")
    w.line("failure = 2;")
    w.line("continue;")
    w.close()
  }

  /// Closes the item loop and turns a recorded failure into the step's error.
  private static func closeItemLoop(_ node: Node, _ w: CWriter, _ context: EmitContext) {
    w.close()
    let name = CNames.identifier(context.name(node.result))
    w.line(
      "if (failure) { status = asrc_fail(ctx, failure == 1 ? \"out of memory\" : \"the GEMM of %s failed (out of memory, or the library rejected its arguments)\", \"\(name)\"); goto done; }")
  }
}
