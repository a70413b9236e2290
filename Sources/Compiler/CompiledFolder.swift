import Foundation
import IR
import Passes

/// What `asrc compile` writes into its output folder: the optimised graph (`compiled.ir`), the
/// memory plan's figures (`plan.json`) and a manifest (`manifest.json`: the graph's interface,
/// the pipeline, the asrc version). Backends add their own files beside these (the C backend:
/// model.c, model.h and libmodel.so, with its build in the manifest).
public enum CompiledFolder {
  /// How the C backend's library was built, for the manifest.
  public struct CBuild: Sendable {
    public var compiler: String
    public var compilerVersion: String
    /// The whole command line, flags included.
    public var command: [String]
    public var cacheKey: String
    /// True when the library came from the cache and the compiler did not run.
    public var cached: Bool
    /// The time to emit the C text and build it (or find it in the cache).
    public var seconds: Double

    public init(compiler: String, compilerVersion: String, command: [String], cacheKey: String, cached: Bool, seconds: Double) {
      self.compiler = compiler
      self.compilerVersion = compilerVersion
      self.command = command
      self.cacheKey = cacheKey
      self.cached = cached
      self.seconds = seconds
    }
  }

  public struct Manifest: Sendable {
    public var asrcVersion: String
    public var source: String
    public var training: Bool
    public var pipeline: [String]
    public var passesRun: [String]
    /// nil when no C was built (`--backend interp`).
    public var cBuild: CBuild?

    public init(asrcVersion: String, source: String, training: Bool, pipeline: [String], passesRun: [String], cBuild: CBuild? = nil) {
      self.cBuild = cBuild
      self.asrcVersion = asrcVersion
      self.source = source
      self.training = training
      self.pipeline = pipeline
      self.passesRun = passesRun
    }
  }

  public static func write(_ graph: Graph, manifest: Manifest, sizes: ShapeBindings, memory: MemoryFigures?, to folder: String) throws(CompileError) {
    try DumpWriter.write(Printer.print(graph), to: folder + "/compiled.ir")
    try DumpWriter.write(manifestJSON(graph, manifest), to: folder + "/manifest.json")
    try DumpWriter.write(planJSON(sizes: sizes, memory: memory), to: folder + "/plan.json")
  }

  static func manifestJSON(_ graph: Graph, _ manifest: Manifest) -> String {
    func values(_ ids: [ValueID]) -> String {
      "[" + ids.map { "\n    {\"name\": \(DumpPage.json(graph.name(of: $0))), \"type\": \(DumpPage.json(graph.type(of: $0).description))}" }
        .joined(separator: ",") + (ids.isEmpty ? "]" : "\n  ]")
    }
    let outputs = "[" + graph.outputs.map {
      "\n    {\"name\": \(DumpPage.json($0.name)), \"type\": \(DumpPage.json(graph.type(of: $0.value).description))}"
    }.joined(separator: ",") + (graph.outputs.isEmpty ? "]" : "\n  ]")
    return """
      {
        "asrc_version": \(DumpPage.json(manifest.asrcVersion)),
        "source": \(DumpPage.json(manifest.source)),
        "graph": \(DumpPage.json(graph.name)),
        "training": \(manifest.training),
        "pipeline": [\(manifest.pipeline.map(DumpPage.json).joined(separator: ", "))],
        "passes_run": [\(manifest.passesRun.map(DumpPage.json).joined(separator: ", "))],
        "c_backend": \(cBuildJSON(manifest.cBuild)),
        "nodes": \(graph.allNodes.count),
        "inputs": \(values(graph.inputs)),
        "parameters": \(values(graph.parameters)),
        "outputs": \(outputs)
      }

      """
  }

  static func cBuildJSON(_ build: CBuild?) -> String {
    guard let build else { return "null" }
    return """
      {
          "files": ["model.c", "model.h", "libmodel.so"],
          "compiler": \(DumpPage.json(build.compiler)),
          "compiler_version": \(DumpPage.json(build.compilerVersion)),
          "command": [\(build.command.map(DumpPage.json).joined(separator: ", "))],
          "cache_key": \(DumpPage.json(build.cacheKey)),
          "cached": \(build.cached),
          "seconds": \(String(format: "%.3f", build.seconds))
        }
      """
  }

  /// The resolved plan as JSON (buffers with their offsets), indented to sit inside plan.json.
  static func planText(_ plan: ResolvedMemoryPlan) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(plan) else { return "null" }
    return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\n", with: "\n  ")
  }

  static func planJSON(sizes: ShapeBindings, memory: MemoryFigures?) -> String {
    let symbols = sizes.symbols.sorted { $0.key < $1.key }.map { "\(DumpPage.json($0.key)): \($0.value)" }.joined(separator: ", ")
    guard let memory else {
      return """
        {
          "plan_for": {"batch": \(sizes.batch), "seconds": \(sizes.seconds)},
          "symbols": {\(symbols)},
          "error": "a shape of the graph has a symbol these sizes do not bind"
        }

        """
    }
    return """
      {
        "plan_for": {"batch": \(sizes.batch), "seconds": \(sizes.seconds)},
        "symbols": {\(symbols)},
        "planned_peak_bytes": \(memory.plannedPeakBytes),
        "live_maximum_bytes": \(memory.liveMaximumBytes),
        "unplanned_bytes": \(memory.unplannedBytes),
        "parameter_bytes": \(memory.parameterBytes),
        "input_bytes": \(memory.inputBytes),
        "method": "MemoryPlan: liveness over the node order, reshape views, in-place elementwise reuse, greedy best-fit offsets in one arena",
        "plan": \(planText(memory.plan))
      }

      """
  }
}
