import CodegenC
import Foundation
import IR
import Passes
import Synchronization
import Tensor

/// Runs graphs through generated C: the same shape as the interpreter's `run`, so tests and
/// the trainer can swap backends. A graph is emitted, compiled (or found in the cache) and
/// loaded once per backend instance.
public final class CBackend: Sendable {
  public let compiler: CCompiler
  /// The passes run on a graph before it is emitted (none: the graph is emitted as given).
  public let passes: [String]
  /// Whether the models' steps flush subnormal floats to zero (on by default, for speed) or
  /// keep IEEE subnormals; the two modes build different libraries.
  public let flushesSubnormals: Bool
  private let models = Mutex<[Graph: CompiledModel]>([:])

  /// `passes` are pass names as `asrc compile --passes` takes them; ``Pipelines/optimization``
  /// gives the compiler's cleanup and fusion.
  public init(compiler: CCompiler = CCompiler(), passes: [String] = [], flushesSubnormals: Bool = true) {
    self.compiler = compiler
    self.passes = passes
    self.flushesSubnormals = flushesSubnormals
  }

  /// Runs `graph` and returns its outputs by name.
  public func run(_ graph: Graph, inputs: [String: Tensor], parameters: [String: Tensor]) throws -> [String: Tensor] {
    try model(for: graph).run(inputs: inputs, parameters: parameters)
  }

  /// The compiled model of a graph (built or loaded on first use).
  public func model(for graph: Graph) throws -> CompiledModel {
    if let model = models.withLock({ $0[graph] }) { return model }
    let optimized = passes.isEmpty ? graph : try PassManager(passes: Pipelines.passes(passes)).run(graph).graph
    let model = try CompiledModel(graph: optimized, compiler: compiler, flushesSubnormals: flushesSubnormals)
    return models.withLock { cache in
      if let existing = cache[graph] { return existing }
      cache[graph] = model
      return model
    }
  }
}

/// One graph as a loaded library, with its memory plan.
public final class CompiledModel: Sendable {
  public let interface: CModelInterface
  public let build: CCompiler.Build
  let library: ModelLibrary
  /// nil when the plan could not be made; every slot then gets its own memory.
  let plan: MemoryPlan?
  /// Arenas of finished runs, reused: a fresh one is page-faulted in on every run.
  private let arenas = Mutex<[Arena]>([])

  public init(graph: Graph, compiler: CCompiler, flushesSubnormals: Bool = true) throws {
    let source = try CEmitter.emit(graph, flushesSubnormals: flushesSubnormals)
    interface = source.interface
    build = try compiler.build(source)
    library = try ModelLibrary(path: build.library.path)
    plan = try? MemoryPlan(graph: graph)
  }

  /// The library `asrc compile -o` wrote into `folder` (model.c and libmodel.so) for `graph`,
  /// its compiled.ir as parsed. Its model.c must be the C this asrc emits for the graph, so
  /// that the interface read from the graph is the library's.
  public init(graph: Graph, compiledFolder folder: URL) throws {
    let source = try CEmitter.emit(graph)
    let cFile = folder.appendingPathComponent("model.c")
    guard let written = try? String(contentsOf: cFile, encoding: .utf8) else {
      throw CodegenCError.badArguments("\(cFile.path): cannot read it (asrc compile -o writes it beside libmodel.so)")
    }
    guard written == source.code else {
      throw CodegenCError.badArguments(
        "\(cFile.path) is not the C this asrc emits for \(folder.appendingPathComponent("compiled.ir").path) (compiled by another asrc version, or edited); compile the step again")
    }
    interface = source.interface
    let library = folder.appendingPathComponent("libmodel.so")
    build = CCompiler.Build(directory: folder, library: library, command: [], compilerVersion: "", cached: true, key: "")
    self.library = try ModelLibrary(path: library.path)
    plan = try? MemoryPlan(graph: graph)
  }

  public func run(inputs: [String: Tensor], parameters: [String: Tensor]) throws -> [String: Tensor] {
    let call = try prepare(inputs: inputs, parameters: parameters)
    var outputPointers = [UnsafeMutableRawPointer?](repeating: nil, count: interface.outputs.count)
    var message = [CChar](repeating: 0, count: 1024)
    let status = withArena(bytes: call.arenaBytes) { arena in
      call.withPointers { sizes, inputs, parameters, offsets in
        outputPointers.withUnsafeMutableBufferPointer { outputs in
          message.withUnsafeMutableBufferPointer { message in
            library.step(sizes, inputs, parameters, arena, offsets, outputs.baseAddress, message.baseAddress, message.count)
          }
        }
      }
    }
    guard status == 0 else { throw CodegenCError.runtime(Self.text(message)) }
    return outputs(outputPointers, bindings: call.bindings)
  }

  /// One call's arguments, checked against the interface: the symbols bound from the input
  /// shapes, the tensors in the step's order, the slot offsets and the arena size.
  struct Call {
    var bindings: [String: Int]
    var sizes: [Int64]
    var inputs: [Tensor]
    var parameters: [Tensor]
    var offsets: [Int64]
    var arenaBytes: Int

    /// The step's first arguments as C pointers, valid inside `body` (the tensors stay alive).
    func withPointers<R>(
      _ body: (UnsafePointer<Int64>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<Int64>?) throws -> R
    ) rethrows -> R {
      let inputPointers = inputs.map { UnsafeRawPointer($0.storage.data) as UnsafeRawPointer? }
      let parameterPointers = parameters.map { UnsafeRawPointer($0.storage.data) as UnsafeRawPointer? }
      return try withExtendedLifetime((inputs, parameters)) {
        try sizes.withUnsafeBufferPointer { sizes in
          try inputPointers.withUnsafeBufferPointer { inputs in
            try parameterPointers.withUnsafeBufferPointer { parameters in
              try offsets.withUnsafeBufferPointer { offsets in
                try body(sizes.baseAddress, inputs.baseAddress, parameters.baseAddress, offsets.baseAddress)
              }
            }
          }
        }
      }
    }
  }

  func prepare(inputs: [String: Tensor], parameters: [String: Tensor]) throws -> Call {
    var bindings: [String: Int] = [:]
    var inputTensors: [Tensor] = []
    for input in interface.inputs {
      guard let tensor = inputs[input.name] else { throw CodegenCError.badArguments("input %\(input.name) was not given") }
      guard tensor.dtype == input.type.dtype, tensor.rank == input.type.rank else {
        throw CodegenCError.badArguments("input %\(input.name) is declared \(input.type) but got \(tensor.dtype)\(tensor.shape)")
      }
      for (dim, size) in zip(input.type.shape, tensor.shape) {
        guard dim.constant == 0, dim.terms.count == 1, dim.terms[0].coefficient == 1, case .symbol(let symbol) = dim.terms[0].atom else { continue }
        if let bound = bindings[symbol], bound != size {
          throw CodegenCError.badArguments("input %\(input.name) gives \(symbol) = \(size), but an earlier input bound \(symbol) = \(bound)")
        }
        bindings[symbol] = size
      }
      inputTensors.append(tensor)
    }
    func check(_ declared: CModelInterface.Tensor, _ tensor: Tensor, _ role: String) throws {
      let expected = declared.type.shape.map { $0.evaluate(bindings) }
      guard tensor.dtype == declared.type.dtype, expected.count == tensor.rank, zip(expected, tensor.shape).allSatisfy({ $0 == $1 }) else {
        throw CodegenCError.badArguments("\(role) %\(declared.name) is declared \(declared.type) but got \(tensor.dtype)\(tensor.shape)")
      }
    }
    for (declared, tensor) in zip(interface.inputs, inputTensors) { try check(declared, tensor, "input") }
    var parameterTensors: [Tensor] = []
    for parameter in interface.parameters {
      guard let tensor = parameters[parameter.name] else { throw CodegenCError.badArguments("parameter %\(parameter.name) has no value (missing from the weights)") }
      try check(parameter, tensor, "parameter")
      parameterTensors.append(tensor)
    }
    let missing = interface.symbols.filter { bindings[$0] == nil }
    guard missing.isEmpty else {
      throw CodegenCError.badArguments("no input binds the symbols \(missing.joined(separator: ", ")) (symbols are bound from input shapes)")
    }
    let (offsets, arenaBytes) = try layout(bindings)
    return Call(
      bindings: bindings, sizes: interface.symbols.map { Int64(bindings[$0]!) }, inputs: inputTensors, parameters: parameterTensors, offsets: offsets,
      arenaBytes: arenaBytes)
  }

  /// Runs `body` on an arena of at least `bytes`, taken from (and returned to) the pool.
  func withArena<R>(bytes: Int, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let held = arenas.withLock { pool -> Arena in
      if let index = pool.firstIndex(where: { $0.bytes >= bytes }) { return pool.remove(at: index) }
      return Arena(bytes: Swift.max(bytes, 64))
    }
    defer { arenas.withLock { $0.append(held) } }
    return try body(held.pointer)
  }

  /// Copies of the outputs the step pointed at (the arena is reused by the next call).
  func outputs(_ pointers: [UnsafeMutableRawPointer?], bindings: [String: Int]) -> [String: Tensor] {
    var results: [String: Tensor] = [:]
    for (output, pointer) in zip(interface.outputs, pointers) {
      let shape = output.type.shape.map { $0.evaluate(bindings) ?? 0 }
      let tensor = Tensor(uninitialized: output.type.dtype, shape)
      if let pointer, tensor.byteCount > 0 { tensor.storage.data.copyMemory(from: pointer, byteCount: tensor.byteCount) }
      results[output.name] = tensor
    }
    return results
  }

  /// The text of a NUL-terminated message buffer.
  static func text(_ message: [CChar]) -> String {
    String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Byte offsets of the slots: the memory plan's where it places a value, fresh memory after
  /// the plan's peak for the rest (extra results of regions, or everything without a plan).
  func layout(_ bindings: [String: Int]) throws -> (offsets: [Int64], bytes: Int) {
    var offsets = [Int64](repeating: -1, count: interface.slots.count)
    var end = 0
    if let plan, let resolved = try? plan.resolve(bindings: bindings) {
      var placed: [String: Int] = [:]
      for buffer in resolved.buffers { if let offset = buffer.offset, placed[buffer.value] == nil { placed[buffer.value] = offset } }
      for (index, slot) in interface.slots.enumerated() { if let offset = placed[slot.name] { offsets[index] = Int64(offset) } }
      end = resolved.peakBytes
    }
    for (index, slot) in interface.slots.enumerated() where offsets[index] < 0 {
      let count = slot.type.shape.reduce(1) { $0 * Swift.max($1.evaluate(bindings) ?? 0, 0) }
      offsets[index] = Int64(end)
      end += (count * slot.type.dtype.byteSize + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment
    }
    return (offsets, end)
  }
}

/// Memory for one run's intermediate values.
final class Arena: @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer
  let bytes: Int

  init(bytes: Int) {
    self.bytes = bytes
    pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryPlan.alignment)
  }

  deinit { pointer.deallocate() }
}
