import CRuntime
import CodegenC
import Foundation
import IR
import Models
import Runtime
import Testing
import TestSupport

/// Clear errors (an op the backend cannot lower, a missing or failing compiler, a library of
/// another ABI, a run-time CTC error), the build cache, and names that are not C identifiers.
@Suite struct BuildAndErrorTests {
  let scratch = ScratchSpace()

  /// A small graph that compiles quickly.
  static func smallGraph(_ name: String = "small") throws -> Graph {
    var builder = GraphBuilder(name: name)
    let x = builder.input("x", TensorType(.f32, [.symbol("B"), 4]))
    builder.output("y", try builder.unary(.tanh, x))
    return try builder.finish()
  }

  func compiler(cc: String? = nil, cache: String? = nil) -> CCompiler {
    var environment = ProcessInfo.processInfo.environment
    if let cc { environment["CC"] = cc }
    environment["XDG_CACHE_HOME"] = cache ?? scratch.folder("asrc-cache")
    return CCompiler(environment: environment)
  }

  /// f16 and bf16 lower now (HalfConversionTests and the other Half suites); what is still
  /// refused is an op on a dtype with no C meaning, such as an ordering of bools.
  @Test func unlowerableOpIsNamedBeforeTheCompilerRuns() throws {
    var builder = GraphBuilder(name: "bools")
    let x = builder.input("x", TensorType(.f32, [4]))
    let positive = try builder.binary(.gt, x, try builder.constant(0, .f32), name: "positive")
    builder.output("y", try builder.binary(.lt, positive, positive, name: "ordered"))
    let graph = try builder.finish()
    // With no compiler at all, the lowering error still comes first.
    let backend = CBackend(compiler: compiler(cc: "/nonexistent/cc"))
    let error = try #require(throws: CodegenCError.self) { try backend.run(graph, inputs: ["x": Tensor([1, -2, 3, 4] as [Float], shape: [4])], parameters: [:]) }
    guard case .unsupported(let op, let value, let reason) = error else {
      Issue.record("expected an unsupported-op error, got \(error)")
      return
    }
    #expect(op == .lt && value == "ordered")
    #expect(reason.contains("lt on bool"))
    #expect(error.description.contains("cannot lower lt (%ordered)"))
  }

  /// Every op of the IR is lowered (or `check` rejects it with a reason before the compiler).
  @Test func everyOpIsLowered() {
    let missing = Op.allCases.filter { !CEmitter.loweredOps.contains($0) }
    #expect(missing.isEmpty, "ops without a C lowering: \(missing)")
  }

  @Test func missingCompilerIsAClearError() throws {
    let error = try #require(throws: CodegenCError.self) { try compiler(cc: "/nonexistent/cc").build(try CEmitter.emit(try Self.smallGraph())) }
    #expect(error == .compilerMissing("/nonexistent/cc"))
    #expect(error.description.contains("no C compiler '/nonexistent/cc'"))
    let unnamed = try #require(throws: CodegenCError.self) { try compiler(cc: "no-such-compiler-asrc").build(try CEmitter.emit(try Self.smallGraph())) }
    #expect(unnamed == .compilerMissing("no-such-compiler-asrc"))
  }

  @Test func failingCompilerIsQuoted() throws {
    let folder = scratch.folder()
    let script = folder + "/fake-cc"
    try "#!/bin/sh\nif [ \"$1\" = --version ]; then echo fake-cc 1.0; exit 0; fi\necho 'model.c:1:1: error: the fake compiler refuses' >&2\nexit 1\n"
      .write(toFile: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    let error = try #require(throws: CodegenCError.self) { try compiler(cc: script).build(try CEmitter.emit(try Self.smallGraph())) }
    guard case .compilerFailed(let command, let message) = error else {
      Issue.record("expected a compiler failure, got \(error)")
      return
    }
    #expect(command.hasPrefix(script) && command.contains("-O3"))
    #expect(message == "model.c:1:1: error: the fake compiler refuses")
  }

  @Test func secondBuildComesFromTheCache() throws {
    let cache = scratch.folder("asrc-cache")
    let source = try CEmitter.emit(try Self.smallGraph("cached"))
    let first = try compiler(cache: cache).build(source)
    #expect(!first.cached)
    // Timing belongs to benchmarks; `cached` says the compiler was not run again.
    let second = try compiler(cache: cache).build(source)
    #expect(second.cached && second.library == first.library)
    for file in ["model.c", "model.h", "libmodel.so", "flags.txt"] {
      #expect(FileManager.default.fileExists(atPath: first.directory.appendingPathComponent(file).path), "\(file) missing")
    }
    let flags = try String(contentsOfFile: first.directory.appendingPathComponent("flags.txt").path, encoding: .utf8)
    #expect(flags.contains("-march=native") && flags.contains("-ffp-contract=off"))
    // Other flags are another library.
    var other = compiler(cache: cache)
    other.flags += ["-DASRC_TEST_VARIANT"]
    #expect(!(try other.build(source)).cached)
  }

  @Test func libraryOfAnotherABIIsRefused() throws {
    let folder = scratch.folder()
    try "int asrc_model_abi_version(void) { return 99; }\nint asrc_model_step(void) { return 0; }\n".write(toFile: folder + "/old.c", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["cc", "-shared", "-fPIC", "-o", folder + "/libold.so", folder + "/old.c"]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    let error = try #require(throws: CodegenCError.self) { try ModelLibrary(path: folder + "/libold.so") }
    #expect(error.description.contains("ABI version 99"))
    let missing = try #require(throws: CodegenCError.self) { try ModelLibrary(path: folder + "/nothing.so") }
    #expect(missing.description.contains("nothing.so"))
  }

  @Test func runTimeErrorsCarryTheKernelsMessage() throws {
    var builder = GraphBuilder(name: "ctc_error")
    let logProbs = builder.input("lp", TensorType(.f32, [1, 3, 4]))
    let lengths = builder.input("lengths", TensorType(.i64, [1]))
    let labels = builder.input("labels", TensorType(.i64, [1, 2]))
    builder.output("loss", try builder.apply(.ctcLoss, [logProbs, lengths, labels], ["blank": .int(0)]))
    let graph = try builder.finish()
    let inputs = [
      "lp": Tensor([Float](repeating: -1.386, count: 12), shape: [1, 3, 4]), "lengths": Tensor([3] as [Int64], shape: [1]),
      "labels": Tensor([1, 7] as [Int64], shape: [1, 2]),
    ]
    #expect(throws: (any Error).self) { try Interpreter().run(graph, inputs: inputs, parameters: [:]) }
    let error = try #require(throws: CodegenCError.self) { try Parity.backend.run(graph, inputs: inputs, parameters: [:]) }
    #expect(error == .runtime("ctc_loss: label 7 in sample 0 is not below the 4 classes"))
    let badInput = try #require(throws: CodegenCError.self) { try Parity.backend.run(graph, inputs: ["lp": inputs["lp"]!], parameters: [:]) }
    #expect(badInput == .badArguments("input %lengths was not given"))
  }

  /// Each function reads the sizes from ctx->sizes once, into constants: a size read through
  /// ctx inside a loop may alias any store (-fno-strict-aliasing), and gcc then left the conv
  /// stack's `omp simd` nests scalar.
  @Test func sizesAreReadOncePerFunction() throws {
    let graph = try Wav2Vec2Graph.build(.base, options: .init(withLoss: false, usesAttentionMask: false))
    let code = try CEmitter.emit(graph).code
    let reads = code.split(separator: "\n").filter { $0.contains("ctx->sizes[") }
    #expect(reads.count > 10)
    #expect(reads.allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("const int64_t asrc_size_") })
    #expect(code.contains("#define SYM_0_B (asrc_size_0)"))
  }

  /// IR names are [A-Za-z0-9_.]+: dots and leading digits are not C identifiers.
  @Test func namesAreSanitised() throws {
    var graph = ParityGraph("odd.names")
    let x = graph.input("encoder.layers.0.x", [2, 3])
    let w = graph.parameter("0.weight", [3])
    graph.output("out.put", try graph.builder.mul(x, w, name: "9.mul"))
    try Parity.check(try graph.graph(), inputs: graph.inputs, parameters: graph.parameters, "odd names")
    let source = try CEmitter.emit(try graph.graph())
    #expect(source.code.contains("static int n0_9_mul(") && source.code.contains("// %9.mul = mul(%encoder.layers.0.x, %0.weight)"))
  }
}
