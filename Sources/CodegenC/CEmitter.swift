import IR

/// What the generated library expects and returns, in the order its step function takes them.
public struct CModelInterface: Sendable, Equatable {
  public struct Tensor: Sendable, Equatable {
    public var name: String
    public var type: TensorType
  }

  /// The ABI version in model.h (`ASRC_MODEL_ABI_VERSION`); the loader refuses any other.
  public static let abiVersion = 2

  /// Symbols (B, S, …) in the order of the step function's `sizes` argument.
  public var symbols: [String]
  public var inputs: [Tensor]
  public var parameters: [Tensor]
  /// Graph outputs: name and the type of the value.
  public var outputs: [Tensor]
  /// The arena slots (node results that own memory), named by IR value, in the order of the
  /// step function's `offsets` argument.
  public var slots: [Tensor]
  /// A training graph's `asrc_train_step` (nil when the graph has no `loss` and `grad.X` outputs).
  public var training: CTrainingInterface? = nil
}

/// The generated translation unit and its header.
public struct CSource: Sendable {
  public var code: String
  public var header: String
  public var interface: CModelInterface
}

/// Turns a graph into readable C: one function per top-level node (a fused region is one
/// function), and `asrc_model_step`, which calls them in order over the memory arena.
///
/// Every op is checked first (`check`): an op or dtype the backend cannot lower is an error
/// naming the op, its value and the reason, before any C exists.
public enum CEmitter {
  /// `flushesSubnormals`: the steps run with subnormal floats flushed to zero (the default, for
  /// speed; `CPrelude`), or keep IEEE subnormals.
  public static func emit(_ graph: Graph, flushesSubnormals: Bool = true) throws -> CSource {
    try check(graph)
    // The symbols of the values the graph still uses: a pass that drops an input (select-outputs
    // dropping `labels` and its L) leaves the value in the table, but nothing binds it any more.
    let usedValues = graph.inputs + graph.parameters + graph.allNodes.flatMap(\.results)
    let symbolNames = Set(usedValues.flatMap { graph.type(of: $0).symbols }).sorted()
    let symbols = Dictionary(uniqueKeysWithValues: symbolNames.enumerated().map { ($1, $0) })
    let context = EmitContext(graph: graph, symbols: symbols)

    // Pointers in the step function: inputs, parameters, slots, views.
    var pointers: [ValueID: String] = [:]
    var slots: [CModelInterface.Tensor] = []
    var slotOf: [ValueID: Int] = [:]
    for node in graph.nodes where !(node.op == .reshape && node.region == nil) {
      for result in node.results {
        slotOf[result] = slots.count
        slots.append(.init(name: graph.name(of: result), type: graph.type(of: result)))
      }
    }
    func pointerName(_ value: ValueID) -> String { "v\(value.index)" }

    var functions: [String] = []
    let step = CWriter()
    step.line("static int asrc_run_model_step(const int64_t *sizes, const void *const *inputs, const void *const *parameters,")
    step.line("                               void *arena, const int64_t *offsets, void **outputs, char *message, size_t message_size) {")
    step.line("  asrc_ctx context = { sizes, message, message_size };")
    step.line("  asrc_ctx *ctx = &context;")
    for line in CNames.sizeConstants(symbols) { step.line("  " + line) }
    step.line("  const int profiling = getenv(\"ASRC_C_PROFILE\") != NULL;")
    step.line("  (void)ctx; (void)inputs; (void)parameters; (void)arena; (void)offsets; (void)profiling;")
    func declare(_ value: ValueID, _ source: String, _ note: String) {
      let type = CNames.type(graph.type(of: value).dtype)
      pointers[value] = pointerName(value)
      step.line("  \(type) *\(pointerName(value)) = (\(type) *)\(source); // \(CNames.commentSafe(note))")
    }
    for (index, input) in graph.inputs.enumerated() {
      declare(input, "inputs[\(index)]", "input %\(graph.name(of: input)): \(graph.type(of: input))")
    }
    for (index, parameter) in graph.parameters.enumerated() {
      declare(parameter, "parameters[\(index)]", "param %\(graph.name(of: parameter)): \(graph.type(of: parameter))")
    }
    for node in graph.nodes {
      for result in node.results {
        guard let slot = slotOf[result] else { continue }
        declare(result, "((char *)arena + offsets[\(slot)])", "slot \(slot): %\(graph.name(of: result)): \(graph.type(of: result))")
      }
    }

    for (position, node) in graph.nodes.enumerated() {
      if node.op == .reshape && node.region == nil {
        let source = pointers[node.operands[0]] ?? "NULL"
        let type = CNames.type(graph.type(of: node.result).dtype)
        pointers[node.result] = pointerName(node.result)
        step.line("  \(type) *\(pointerName(node.result)) = \(source); // \(CNames.commentSafe(context.describe(node))) (a view)")
        continue
      }
      let name = "n\(position)_\(CNames.identifier(graph.name(of: node.result)))"
      functions.append(try function(name, for: node, context))
      let arguments = (["ctx"] + (node.operands + node.results).map { pointers[$0] ?? "NULL" }).joined(separator: ", ")
      step.line("  ASRC_STEP(\(name), (\(arguments)));")
    }
    for (index, output) in graph.outputs.enumerated() {
      step.line("  outputs[\(index)] = (void *)\(pointers[output.value] ?? "NULL"); // output \(CNames.commentSafe(output.name))")
    }
    step.line("  return 0;")
    step.line("}")
    step.line("")
    step.line("int asrc_model_step(const int64_t *sizes, const void *const *inputs, const void *const *parameters,")
    step.line("                    void *arena, const int64_t *offsets, void **outputs, char *message, size_t message_size) {")
    step.line("  const unsigned int saved = asrc_subnormals_begin();")
    step.line("  const int status = asrc_run_model_step(sizes, inputs, parameters, arena, offsets, outputs, message, message_size);")
    step.line("  asrc_subnormals_end(saved);")
    step.line("  return status;")
    step.line("}")

    let interface = CModelInterface(
      symbols: symbolNames,
      inputs: graph.inputs.map { .init(name: graph.name(of: $0), type: graph.type(of: $0)) },
      parameters: graph.parameters.map { .init(name: graph.name(of: $0), type: graph.type(of: $0)) },
      outputs: graph.outputs.map { .init(name: $0.name, type: graph.type(of: $0.value)) },
      slots: slots, training: OptimizerEmitter.interface(graph))
    let header = Self.header(graph, interface, flushesSubnormals: flushesSubnormals)
    var code = "// Generated by asrc from graph @\(CNames.commentSafe(graph.name)). The ABI is in model.h.\n"
    code += "#include \"model.h\"\n"
    code += "#define ASRC_FLUSH_SUBNORMALS \(flushesSubnormals ? 1 : 0)\n"
    code += CPrelude.text
    let allNodes = graph.allNodes
    let allValues = graph.inputs + graph.parameters + allNodes.flatMap { $0.operands + $0.results + ($0.region?.arguments ?? []) }
    if allValues.contains(where: { CNames.isHalf(graph.type(of: $0).dtype) }) { code += HalfPrelude.conversions }
    if allNodes.contains(where: { ContractionEmitter.ops.contains($0.op) && CNames.isHalf(graph.type(of: $0.result).dtype) }) { code += HalfPrelude.gemm }
    if allNodes.contains(where: { ContractionEmitter.runsOnOneDNNHalfInputGradient($0, graph.type(of: $0.result).dtype) }) { code += HalfConvolutionPrelude.code }
    let runsOnFloatConvolution = { (node: Node) in
      node.op == .conv1d
        && ContractionEmitter.runsOnOneDNNForwardConvolution(node, input: graph.type(of: node.operands[0]), weight: graph.type(of: node.operands[1]))
    }
    if allNodes.contains(where: runsOnFloatConvolution) { code += FloatConvolutionPrelude.code }
    let ops = Set(allNodes.map(\.op))
    if ops.contains(.dropoutMask) { code += LossEmitter.mixPrelude }
    if ops.contains(.ctcLoss) || ops.contains(.ctcLossGrad) { code += LossEmitter.ctcPrelude }
    // A symbol's macro names a constant each function copies from ctx->sizes when it starts
    // (`CNames.sizeConstants`): read through ctx inside a loop, a size could alias any store
    // (the library is built with -fno-strict-aliasing), so GCC kept index arithmetic in the
    // loop and left `omp simd` nests scalar.
    for (name, index) in symbols.sorted(by: { $0.value < $1.value }) {
      code += "#define \(CNames.symbolMacro(name, symbols: symbols)) (\(CNames.sizeConstant(index))) /* \(CNames.commentSafe(name)) */\n"
    }
    code += "\n" + functions.joined(separator: "\n") + "\n"
    code += "int asrc_model_abi_version(void) { return ASRC_MODEL_ABI_VERSION; }\n\n"
    code += step.text
    if let training = interface.training { code += "\n" + OptimizerEmitter.code(graph, training, symbols: symbols) }
    return CSource(code: code, header: header, interface: interface)
  }

  /// One node as one C function: operands as const pointers, results as pointers.
  private static func function(_ name: String, for node: Node, _ context: EmitContext) throws -> String {
    let graph = context.graph
    let body = CWriter()
    let lowering = RegionEmitter(context: context, writer: body)
    var parameters = ["asrc_ctx *ctx"]
    var arguments: [ValueID: CTensor] = [:]
    let bodyNodes: [Node]
    let yields: [ValueID]
    let argumentValues = node.region?.arguments ?? node.operands
    for (index, value) in argumentValues.enumerated() {
      let type = graph.type(of: value)
      parameters.append("const \(CNames.type(type.dtype)) *a\(index)")
      if arguments[value] == nil { arguments[value] = CTensor(pointer: "a\(index)", type: type) }
    }
    if let region = node.region {
      bodyNodes = region.nodes
      yields = region.yields
    } else {
      // One op: its operands are the function's arguments, its result the one it yields.
      bodyNodes = [node]
      yields = [node.result]
    }
    var results: [CTensor] = []
    for (index, value) in node.results.enumerated() {
      let type = graph.type(of: value)
      parameters.append("\(CNames.type(type.dtype)) *r\(index)")
      results.append(CTensor(pointer: "r\(index)", type: type))
    }
    // Arguments are read through const pointers; the kernels take them as plain pointers.
    let castArguments = arguments.mapValues { CTensor(pointer: "((\(CNames.type($0.type.dtype)) *)\($0.pointer))", type: $0.type) }
    try lowering.lower(bodyNodes, arguments: castArguments, yields: yields, results: results)

    let w = CWriter()
    w.comment(context.describe(node))
    if let region = node.region {
      for inner in region.nodes { w.comment("  " + context.describe(inner)) }
      w.comment("  yield " + region.yields.map { "%" + graph.name(of: $0) }.joined(separator: ", "))
    }
    w.open("static int \(name)(\(parameters.joined(separator: ", ")))")
    w.line("int status = 0;")
    for line in CNames.sizeConstants(context.symbols, usedIn: body.text) { w.line(line) }
    for (pointer, type) in lowering.scratch { w.line("\(type) *\(pointer) = NULL;") }
    for line in body.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { w.line(String(line)) }
    if body.text.contains("goto done") || !lowering.scratch.isEmpty {
      w.line("goto done;")
      w.line("done:")
    }
    for (pointer, _) in lowering.scratch { w.line("free(\(pointer));") }
    w.line("(void)ctx;")
    w.line("return status;")
    w.close()
    return w.text
  }

  /// model.h: the ABI version, the step function and the order of everything it takes.
  static func header(_ graph: Graph, _ interface: CModelInterface, flushesSubnormals: Bool) -> String {
    func list(_ tensors: [CModelInterface.Tensor]) -> String {
      tensors.enumerated().map { " *   [\($0)] \(CNames.commentSafe($1.name)): \($1.type)" }.joined(separator: "\n")
    }
    return """
      /* Generated by asrc from graph @\(CNames.commentSafe(graph.name)): the ABI of libmodel.so.
       *
       * One call of asrc_model_step runs the whole graph.
       *   sizes       the symbols' values, in this order: \(interface.symbols.isEmpty ? "(none)" : interface.symbols.joined(separator: ", "))
       *   inputs      one pointer per input, row-major, in the order below
       *   parameters  one pointer per parameter, in the order below
       *   arena       memory for every intermediate value, at least as large as the memory plan's
       *               peak for these sizes, 64-byte aligned
       *   offsets     the byte offset in the arena of each slot below: the host resolves asrc's memory
       *               plan (MemoryPlan.resolve(bindings:)) for the sizes, since offsets depend on them
       *   outputs     receives a pointer per output (into the arena, or an input or parameter):
       *               copy the values out before the arena is reused
       *   message     receives the reason when the call fails (nonzero return)
       * Elements are float (f32), double (f64), int64_t (i64), int32_t (i32), uint8_t (bool), and
       * uint16_t bit patterns for f16 (IEEE half) and bf16 (the top half of an f32).
       *
       * Inputs:
      \(list(interface.inputs))
       * Parameters:
      \(list(interface.parameters))
       * Outputs:
      \(list(interface.outputs))
       * Slots (\(interface.slots.count)):
      \(list(interface.slots))
       */
      #ifndef ASRC_MODEL_H
      #define ASRC_MODEL_H
      #include <stddef.h>
      #include <stdint.h>

      #define ASRC_MODEL_ABI_VERSION \(CModelInterface.abiVersion)
      #define ASRC_MODEL_SLOT_COUNT \(interface.slots.count)

      int asrc_model_abi_version(void);
      /* Subnormal floats: \(flushesSubnormals ? "each step flushes them to zero (FTZ and DAZ in every thread of the step, restored when it returns)" : "kept (IEEE)"). */
      int asrc_model_step(const int64_t *sizes, const void *const *inputs, const void *const *parameters,
                          void *arena, const int64_t *offsets, void **outputs, char *message, size_t message_size);
      \(interface.training.map { OptimizerEmitter.header($0) } ?? "")
      #endif

      """
  }

  /// The ops the backend lowers: every op of the IR (a new op fails `CodegenCTests` until it is
  /// lowered here or rejected with a reason in `check`).
  public static let loweredOps: Set<Op> = ElementwiseEmitter.ops.union(ContractionEmitter.ops).union(NormalizationEmitter.ops)
    .union(ReductionEmitter.ops).union(ShapeEmitter.ops).union(LossEmitter.ops).union([.dimSize, .fused])

  /// Rejects, before any C is written, every op and dtype the backend cannot lower (f16 and
  /// bf16 values lower as the interpreter computes them: see `HalfWidening`).
  public static func check(_ graph: Graph) throws {
    for node in graph.allNodes {
      let name = graph.name(of: node.result)
      if node.op == .fused {
        guard node.region != nil else { throw CodegenCError.unsupported(op: node.op, value: name, reason: "fused without a region") }
        continue
      }
      if ElementwiseEmitter.ops.contains(node.op) {
        do { try ElementwiseEmitter.check(node, in: graph) } catch CodegenCError.unsupported(_, _, let reason) {
          throw CodegenCError.unsupported(op: node.op, value: name, reason: reason)
        }
        continue
      }
      let known: [Set<Op>] = [ContractionEmitter.ops, NormalizationEmitter.ops, ReductionEmitter.ops, ShapeEmitter.ops, LossEmitter.ops, [.dimSize]]
      guard known.contains(where: { $0.contains(node.op) }) else {
        throw CodegenCError.unsupported(op: node.op, value: name, reason: "no C kernel for this op")
      }
      if ContractionEmitter.ops.contains(node.op) || NormalizationEmitter.ops.contains(node.op) {
        let dtype = graph.type(of: node.result).dtype
        guard dtype.isFloatingPoint else {
          throw CodegenCError.unsupported(op: node.op, value: name, reason: "\(node.op) on \(dtype) (only floating-point dtypes)")
        }
      }
    }
  }
}
