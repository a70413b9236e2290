import ArgumentParser
import CRuntime
import CodegenC
import Compiler
import Foundation
import Formats
import IR
import Models
import Passes
import Runtime
import Training

struct Compile: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the optimisation pipeline on a graph; write the optimised graph, its memory plan and a manifest.",
    discussion: """
      INPUT is an .ir file or a model folder (its model.ir, or the graph built from its config.json; its \
      weights serve --check). OUTPUT_DIR gets compiled.ir, plan.json and manifest.json and, with the C \
      backend (the default), model.c, model.h and libmodel.so built with $CC (or cc) and cached under \
      $XDG_CACHE_HOME/asrc/c; the manifest records the compiler, its version and the flags. Standard output \
      holds the per-pass table (and --check's); --print-ir-after* write to standard error. With --training, \
      a model folder's graph is built in training mode (dropout, SpecAugment, LayerDrop, as asrc train \
      does) and an .ir file is differentiated as it is. `asrc compile --list-passes` lists every pass and \
      both default pipelines.
      """)

  @Argument(help: "The .ir file or model folder.") var input: String?
  @Option(name: .shortAndLong, help: "The folder to write compiled.ir, plan.json, manifest.json (and the C backend's model.c, model.h, libmodel.so) into.")
  var output: String?
  @Option(
    help: ArgumentHelp(
      "c: also emit C and build libmodel.so with the system compiler; interp: the IR alone (the interpreter runs compiled.ir).", valueName: "c|interp"))
  var backend: Backend = .c
  @Flag(help: "Compile the training step: autodiff first, then the training pipeline.") var training = false
  @Flag(help: "With --training: no gradients for the convolutional feature encoder (as asrc train).") var freezeFeatureEncoder = false
  @Option(help: ArgumentHelp("With --training: no gradients for this parameter or module, by its state-dict name (as asrc train); repeatable.", valueName: "NAME"))
  var freezeParam: [String] = []
  @Flag(help: "With --training: bf16 mixed precision (the mixed-precision pass, as asrc train --bf16).") var bf16 = false
  @Flag(help: "With --training: fp16 mixed precision with loss scaling (scale-loss and mixed-precision, as asrc train --fp16).") var fp16 = false
  @OptionGroup var checkpointOptions: CheckpointOptions
  @Option(help: "An explicit pipeline: pass names separated by commas (with --training, autodiff is put first unless listed).")
  var passes: String?
  @Flag(help: "List every registered pass with its summary, and both default pipelines.") var listPasses = false
  @Flag(help: "With --list-passes: print docs/passes.md (summaries, details and worked examples).") var markdown = false
  @Flag(help: "Print the IR after every pass (to standard error).") var printIrAfterAll = false
  @Option(help: ArgumentHelp("Print the IR after these passes (to standard error).", valueName: "NAME[,NAME]")) var printIrAfter: String?
  @Option(help: "Write NN-PASS.ir, .dot, .svg (with Graphviz) and index.html, a page to step through the pipeline, into this folder.")
  var dumpDir: String?
  @Option(help: ArgumentHelp("Stop after the first pass of this name, or after N passes (bisection).", valueName: "NAME|N")) var stopAfter: String?
  @Flag(help: "Do not verify the graph after every pass (faster; a broken pass then shows up later).") var noVerifyEach = false
  @Option(help: ArgumentHelp("Sizes of the memory plan (default batch=8,seconds=10 for training, batch=1,seconds=10 for inference; L, the label length, defaults to 15 a second).", valueName: "batch=B,seconds=S"))
  var planFor: String?
  @Flag(help: "Run the graph after every pass on the interpreter against the unoptimised graph; name the first pass over --check-tolerance.")
  var check = false
  @Option(help: "--check's largest allowed relative L2 difference of any output.") var checkTolerance = 1e-5
  @Option(help: ArgumentHelp("--check's input sizes.", valueName: "batch=B,seconds=S")) var checkSize = "batch=1,seconds=1"
  @Option(help: "--check's seed for inputs (and for weights, for an .ir file).") var checkSeed: UInt64 = 0

  func validate() throws {
    if listPasses { return }
    guard input != nil else { throw ValidationError("give the INPUT: an .ir file or a model folder") }
    guard output != nil else { throw ValidationError("give the output folder: -o OUTPUT_DIR") }
    for (flag, given) in [
      ("--freeze-feature-encoder", freezeFeatureEncoder), ("--bf16", bf16), ("--fp16", fp16),
      ("--gradient-checkpointing", checkpointOptions.strategy != nil), ("--freeze-param", !freezeParam.isEmpty),
    ] where given && !training {
      throw ValidationError("\(flag) needs --training")
    }
    if bf16 && fp16 { throw ValidationError("--bf16 and --fp16 exclude each other") }
    if freezeParam.contains(where: \.isEmpty) { throw ValidationError(FrozenParameters.emptyNameProblem) }
    if passes != nil && (bf16 || fp16 || checkpointOptions.strategy != nil) {
      throw ValidationError("--bf16, --fp16, --gradient-checkpointing and --memory-budget choose the training pipeline; with --passes, list scale-loss, mixed-precision=… and checkpoint=… yourself")
    }
    if markdown { throw ValidationError("--markdown goes with --list-passes") }
    guard checkTolerance >= 0, checkTolerance.isFinite else { throw ValidationError("--check-tolerance must be a non-negative number") }
    // A wrong pipeline or size is a usage error (exit 64), found before anything is read.
    do { _ = try settings() } catch { throw ValidationError(error.message) }
  }

  /// Everything the options ask for, checked.
  private struct Settings {
    var names: [String]
    var manager: PassManager
    var printed: (all: Bool, names: Set<String>)
    var sizes: ShapeBindings
    var checkSizes: ShapeBindings
  }

  private func settings() throws(CommandFailure) -> Settings {
    let names = try pipelineNames()
    let defaults = training ? ShapeBindings(batch: 8, seconds: 10) : ShapeBindings(batch: 1, seconds: 10)
    let sizes = try compiled { try planFor.map { try ShapeBindings(parsing: $0, option: "--plan-for", defaults: defaults) } ?? defaults }
    // Passes that plan memory (checkpoint=budget:BYTES) plan for --plan-for's sizes.
    var manager = PassManager(passes: try resolve(names, bindings: sizes.symbols))
    manager.verifyAfterEachPass = !noVerifyEach
    // Stages are named by pass (`checkpoint`), entries may carry an argument (`checkpoint=sqrt`).
    let passNames = names.map { String($0.prefix { $0 != "=" }) }
    if let stopAfter { try compiled { try StopPoint(stopAfter, pipeline: passNames) }.apply(to: &manager) }
    return Settings(
      names: names, manager: manager, printed: try printedPasses(passNames),
      sizes: sizes,
      checkSizes: try compiled { try ShapeBindings(parsing: checkSize, option: "--check-size", defaults: ShapeBindings(batch: 1, seconds: 1)) })
  }

  func run() throws {
    try reportingFailures {
      if listPasses {
        print(markdown ? PassReference.markdown() : Self.passList(), terminator: "")
        return
      }
      try compile(input!, to: output!)
    }
  }

  static func passList() -> String {
    let width = PassRegistry.all.map(\.name.count).max() ?? 0
    var text = "Passes:\n"
    for pass in PassRegistry.all { text += "  " + pass.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pass.summary + "\n" }
    text += "\nDefault pipelines:\n"
    text += "  inference: " + Pipelines.inference.joined(separator: ", ") + "\n"
    text += "  training:  " + Pipelines.training.joined(separator: ", ") + "\n"
    return text
  }

  private func compile(_ input: String, to output: String) throws {
    // Everything a user can get wrong is checked before any work.
    try IRFile.checkFolder(output)
    if let dumpDir { try IRFile.checkFolder(dumpDir) }
    let checked = try settings()
    let (names, manager, printed, sizes, checkSizes) = (checked.names, checked.manager, checked.printed, checked.sizes, checked.checkSizes)

    let (graph, weights, trainingSpec, model) = try load(input)
    let dump = dumpDir.map(DumpWriter.init)
    var stages: [CompileStage] = []
    let afterStage = { (stage: CompileStage) throws(CompileError) in
      stages.append(stage)
      if printed.all || printed.names.contains(stage.name), stage.position > 0 {
        FileHandle.standardError.write(Data("// IR after pass \(stage.position) \(stage.name)\n\(Printer.print(stage.graph))".utf8))
      }
      try dump?.write(stage)
    }
    do {
      _ = try Compilation(graph, manager: manager) { stage in try afterStage(stage) }
    } catch {
      // The stages before the failure are still worth stepping through.
      if let dump { _ = try? dump.finish(stages, summaries: StageSummary.summaries(stages, symbols: sizes.symbols), title: "asrc compile \(input) (failed)") }
      throw CommandFailure(failureMessage(error))
    }

    let summaries = StageSummary.summaries(stages, symbols: sizes.symbols)
    print(CompileReport.table(summaries, sizes: sizes), terminator: "")
    // The checkpoint pass's plan: peak before and after, the work recomputed, what it recomputes.
    for (index, stage) in stages.enumerated() where stage.name == "checkpoint" && index > 0 {
      print(try compiled { try CheckpointReport(before: stages[index - 1].graph, after: stage.graph, bindings: sizes.symbols).summary })
    }
    if let dump, let dumpDir {
      let rendered = try compiled { try dump.finish(stages, summaries: summaries, title: "asrc compile \(input)\(training ? " --training" : "")") }
      print("wrote \(stages.count) stages to \(dumpDir) (.ir, .dot\(rendered ? ", .svg" : "; no .svg: Graphviz's dot is not installed")); open \(dumpDir)/index.html")
    }
    // Numbered as compiled.ir reads back: the C emitted now is the C `asrc train --compiled`
    // checks against compiled.ir, and the trainer's own build of the same step.
    let final = try compiled { try stages[stages.count - 1].graph.canonicallyNumbered() }
    let memory = summaries.last?.memory
    // The C library is built (or found in the cache) before anything is written: a graph the
    // backend cannot lower, or a compiler that fails, leaves the output folder as it was.
    let cBuild = backend == .c ? try buildC(final) : nil
    if check { try runCheck(stages, weights: weights, sizes: checkSizes) }
    let manifest = CompiledFolder.Manifest(
      asrcVersion: Version.asrcVersion, source: input, training: training, pipeline: names, passesRun: stages.dropFirst().map(\.name),
      cBuild: cBuild.map(\.record))
    try compiled { try CompiledFolder.write(final, manifest: manifest, sizes: sizes, memory: memory, to: output) }
    // A model folder's training step records what it was built from, for asrc train --compiled.
    // An earlier compile's spec must not describe this folder's new graph.
    if let spec = trainingSpec {
      try compiled { try CompiledStepFolder.write(spec, to: output) }
    } else {
      try? FileManager.default.removeItem(atPath: output + "/" + CompiledStepFolder.specFile)
    }
    if let cBuild {
      try compiled { try cBuild.copyFiles(to: output) }
      let passSeconds = stages.reduce(0) { $0 + ($1.record?.seconds ?? 0) }
      print(
        String(
          format: "wrote %@/model.c, model.h, libmodel.so (%@ in %.2f s); compile time: passes %.2f s + C %.2f s", output,
          cBuild.record.cached ? "from the cache" : "built with \(cBuild.record.compiler)", cBuild.record.seconds, passSeconds, cBuild.record.seconds))
    }
    var line = "wrote \(output)/compiled.ir (\(final.allNodes.count) nodes), plan.json, manifest.json"
    if let memory {
      line += "; planned peak \(formatBytes(memory.plannedPeakBytes)) for \(sizes), all buffers without planning \(formatBytes(memory.unplannedBytes))"
    }
    print(line)
    if trainingSpec != nil, let model { buildEvaluationGraph(of: model, from: input) }
  }

  /// Builds (or finds) in the C cache the inference graph that evaluation during `asrc train`
  /// runs for this model (and `asrc eval` in the same precision), so that compiling happens
  /// here rather than inside the first evaluation's time. The step is already written: a
  /// failure here is a warning, and evaluation will build the graph itself.
  private func buildEvaluationGraph(of model: ModelDirectory, from input: String) {
    guard let cBackend = Backend.c.compiled else { return }
    let clock = ContinuousClock()
    let start = clock.now
    do {
      let evaluator = try precision.map { try Evaluator(model: model, backend: .c, precision: $0) } ?? Evaluator(model: model, backend: .c)
      let compiled = try cBackend.model(for: evaluator.graph)
      let how = compiled.build.cached ? "found in the C cache" : String(format: "built in %.2f s", (clock.now - start) / .seconds(1))
      let evaluations = precision.map { "asrc train --eval, asrc eval --precision \($0)" } ?? "asrc train --eval, asrc eval"
      print("evaluation graph (\(evaluations)): \(compiled.build.library.path) (\(how))")
    } catch {
      warn("\(input): the evaluation graph was not built (training's first evaluation will build it): \(error)")
    }
  }

  /// Emits the graph as C and builds it (or finds it in the C cache).
  private func buildC(_ graph: Graph) throws(CommandFailure) -> CLibraryBuild {
    do {
      return try CLibraryBuild(graph)
    } catch {
      throw CommandFailure("\(error)")
    }
  }

  /// --bf16 or --fp16; nil for f32.
  private var precision: LowPrecision? { bf16 ? .bf16 : fp16 ? .fp16 : nil }

  /// The pipeline's pass names: --passes, or the default; with --training, autodiff first.
  private func pipelineNames() throws(CommandFailure) -> [String] {
    guard let passes else { return training ? Pipelines.training(precision: precision, checkpoint: checkpointOptions.strategy) : Pipelines.inference }
    do {
      _ = try PassRegistry.pipeline(passes)
      var names = try PassRegistry.entries(passes)
      if training && !names.contains("autodiff") { names.insert("autodiff", at: 0) }
      return names
    } catch {
      throw CommandFailure("--passes: \(error)")
    }
  }

  /// The parameters the training step leaves out of autodiff.
  private var frozen: FrozenParameters { FrozenParameters(featureEncoder: freezeFeatureEncoder, prefixes: freezeParam) }

  private func resolve(_ names: [String], bindings: [String: Int]) throws(CommandFailure) -> [Pass] {
    do {
      return try Pipelines.passes(names, trainable: frozen.trainable, bindings: bindings)
    } catch {
      throw CommandFailure("--passes: \(error)")
    }
  }

  private func printedPasses(_ pipeline: [String]) throws(CommandFailure) -> (all: Bool, names: Set<String>) {
    guard let printIrAfter else { return (printIrAfterAll, []) }
    var names: Set<String> = []
    for name in printIrAfter.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
      guard !name.isEmpty else { throw CommandFailure("--print-ir-after \(printIrAfter): pass names separated by commas, none empty") }
      guard pipeline.contains(name) else {
        throw CommandFailure("--print-ir-after \(name): no pass of that name in the pipeline (\(pipeline.joined(separator: ", ")))")
      }
      names.insert(name)
    }
    return (printIrAfterAll, names)
  }

  /// The graph to compile and, for a model folder, its weights and (with --training) the spec
  /// of the training step, which `asrc train --compiled` checks the step against.
  private func load(_ input: String) throws(CommandFailure) -> (Graph, [String: Tensor]?, TrainingStepSpec?, ModelDirectory?) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else { throw CommandFailure("\(input): no such file or folder") }
    guard isDirectory.boolValue else {
      let graph = try IRFile.load(input)
      if training, let problem = frozen.problem(parameterNames: graph.parameters.map { graph.name(of: $0) }) { throw CommandFailure("\(input): \(problem)") }
      return (graph, nil, nil, nil)
    }
    let model: ModelDirectory
    do { model = try ModelDirectory.load(input) } catch { throw CommandFailure("\(error)") }
    for warning in model.warnings { warn(warning) }
    guard training else { return (model.graph, model.weights, nil, model) }
    let spec = TrainingStepSpec(
      configuration: model.configuration, usesAttentionMask: model.featureExtractor.returnAttentionMask, frozenParameters: frozen,
      precision: precision, checkpoint: checkpointOptions.strategy)
    let graph: Graph
    let frozenProblem: String?
    do {
      graph = try spec.forwardGraph()
      frozenProblem = frozen.problem(parameterNames: graph.parameters.map { graph.name(of: $0) })
    } catch {
      throw CommandFailure("\(input): cannot build the training graph: \(error)")
    }
    if let frozenProblem { throw CommandFailure("\(input): \(frozenProblem)") }
    // A custom --passes list makes a step of its own; only the default pipeline is the step asrc train builds.
    return (graph, model.weights, passes == nil && backend == .c ? spec : nil, model)
  }

  private func runCheck(_ stages: [CompileStage], weights: [String: Tensor]?, sizes: ShapeBindings) throws {
    let input = stages[0].graph
    var parameters = try compiled { try CheckInputs.randomParameters(for: input, seed: checkSeed) }
    if let weights {
      let missing = input.parameters.map { input.name(of: $0) }.filter { weights[$0] == nil }
      if !missing.isEmpty { warn("--check: the model folder has no weights for \(missing.joined(separator: ", ")); they are random") }
      parameters.merge(weights) { _, loaded in loaded }
    }
    let inputs = try compiled { try CheckInputs.inputs(for: input, symbols: sizes.symbols, seed: checkSeed) }
    // With the C backend, its library runs the final graph as one more row (found in the cache).
    let cRow: (name: String, executor: any GraphExecutor)? = backend == .c ? ("C backend", CBackend()) : nil
    let report = try compiled { try PassCheck.run(stages, inputs: inputs, parameters: parameters, tolerance: checkTolerance, backend: cRow) }
    print("check (\(sizes), seed \(checkSeed), tolerance \(checkTolerance)): each stage against stage \(report.referencePosition)")
    print(report.table, terminator: "")
    if let failure = report.firstFailure {
      throw CommandFailure(
        "--check: pass '\(failure.stage)' (stage \(failure.position)) changes the results: output \(failure.worstOutput ?? "?") differs by \(String(format: "%.3g", failure.worst ?? .nan)) relative, over the tolerance \(checkTolerance)")
    }
  }

  private func failureMessage(_ error: any Error) -> String {
    if let failure = error as? CommandFailure { return failure.message }
    return "\(error)"
  }
}

/// Runs library code that throws `CompileError` (whose description is the whole message), as a
/// command failure.
func compiled<T>(_ body: () throws -> T) throws(CommandFailure) -> T {
  do { return try body() } catch { throw CommandFailure("\(error)") }
}
