extension Graph {
  /// The graph as its printed text reads back: the same nodes, with values numbered in print
  /// order. The C emitter names variables by value number, so two builds of one graph, or a
  /// graph and the `compiled.ir` written for it, emit the same C only in this form; `asrc
  /// compile --training` and the trainer both emit a training step from it, and share one cached
  /// library.
  public func canonicallyNumbered() throws(DiagnosticList) -> Graph {
    try Parser.parseAndVerify(Printer.print(self))
  }
}
