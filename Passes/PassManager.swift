import IR

/// Runs a pipeline of passes with the instrumentation every pass gets for free: verification
/// after each pass (on unless switched off), timing and node counts, a callback with each pass's
/// record and output graph (`asrc compile` dumps, draws and checks from it), and stopping after
/// a named pass or after the first N passes (bisection).
public struct PassManager: Sendable {
  public var passes: [Pass]
  public var verifyAfterEachPass = true
  /// Stop after the first pass with this name (the rest of the pipeline is skipped).
  public var stopAfter: String?
  /// Stop after this many passes have run.
  public var stopAfterCount: Int?

  public init(passes: [Pass]) { self.passes = passes }

  /// What happened in one pass.
  public struct Record: Sendable {
    public var pass: String
    /// 1 for the first pass of the pipeline (0 is the input graph in dumps).
    public var position: Int
    public var seconds: Double
    public var nodesBefore: Int
    public var nodesAfter: Int

    public init(pass: String, position: Int, seconds: Double, nodesBefore: Int, nodesAfter: Int) {
      self.pass = pass
      self.position = position
      self.seconds = seconds
      self.nodesBefore = nodesBefore
      self.nodesAfter = nodesAfter
    }
  }

  /// The passes that will run: the pipeline cut at `stopAfter` / `stopAfterCount`.
  public var scheduledPasses: [Pass] {
    var scheduled = passes
    if let stopAfterCount { scheduled = Array(scheduled.prefix(max(0, stopAfterCount))) }
    if let stopAfter, let index = scheduled.firstIndex(where: { $0.name == stopAfter }) {
      scheduled = Array(scheduled.prefix(through: index))
    }
    return scheduled
  }

  /// Runs the pipeline. `afterPass` sees each pass's name, position (from 0) and output graph.
  public func run(
    _ graph: Graph, afterPass: (_ pass: String, _ index: Int, _ graph: Graph) throws -> Void = { _, _, _ in }
  ) throws -> (graph: Graph, records: [Record]) {
    try run(graph, observe: { record, graph in try afterPass(record.pass, record.position - 1, graph) })
  }

  /// Runs the pipeline. `observe` sees each pass's record and output graph, after verification.
  public func run(
    _ graph: Graph, observe: (_ record: Record, _ graph: Graph) throws -> Void
  ) throws -> (graph: Graph, records: [Record]) {
    var current = graph
    var records: [Record] = []
    let clock = ContinuousClock()
    for (index, pass) in scheduledPasses.enumerated() {
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
      let record = Record(pass: pass.name, position: index + 1, seconds: seconds, nodesBefore: before, nodesAfter: current.allNodes.count)
      records.append(record)
      try observe(record, current)
    }
    return (current, records)
  }
}
