import IR

/// Runs a pipeline of passes with the instrumentation every pass gets for free: verification
/// after each pass, a callback with the graph after each pass (the command line dumps text and
/// DOT from it), timing, and stopping after a named pass.
public struct PassManager: Sendable {
  public var passes: [Pass]
  public var verifyAfterEachPass = true
  /// Stop after the pass with this name (the rest of the pipeline is skipped).
  public var stopAfter: String?

  public init(passes: [Pass]) { self.passes = passes }

  /// What happened in one pass.
  public struct Record: Sendable {
    public var pass: String
    public var seconds: Double
    public var nodesBefore: Int
    public var nodesAfter: Int
  }

  /// Runs the pipeline. `afterPass` sees each pass's name, position and output graph.
  public func run(
    _ graph: Graph, afterPass: (_ pass: String, _ index: Int, _ graph: Graph) throws -> Void = { _, _, _ in }
  ) throws -> (graph: Graph, records: [Record]) {
    var current = graph
    var records: [Record] = []
    let clock = ContinuousClock()
    for (index, pass) in passes.enumerated() {
      let before = current.allNodes.count
      let start = clock.now
      do {
        current = try pass.run(current)
      } catch {
        throw PassError.failed(pass: pass.name, error)
      }
      let elapsed = clock.now - start
      if verifyAfterEachPass {
        let problems = Verifier.verify(current)
        if !problems.isEmpty { throw PassError.verificationFailed(pass: pass.name, DiagnosticList(problems)) }
      }
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      records.append(Record(pass: pass.name, seconds: seconds, nodesBefore: before, nodesAfter: current.allNodes.count))
      try afterPass(pass.name, index, current)
      if pass.name == stopAfter { break }
    }
    return (current, records)
  }
}
