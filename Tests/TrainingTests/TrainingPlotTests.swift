import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Formats
import TestSupport
import Testing
@testable import Training

/// training.svg read back as XML: tick labels on every axis, a legend swatch in each series'
/// colour, the loss on a log axis when it spans decades, WER and CER on their own axis.
@Suite struct TrainingPlotTests {
  /// A run shaped as a real CTC run's: the loss falls from about 60 to 0.3 over 1,000 steps
  /// (logged every 10), evaluations every 100 steps, a linear warm-up to 1e-3 and decay.
  static let decades: [[String: Double]] = stride(from: 10, through: 1000, by: 10).flatMap { step -> [[String: Double]] in
    let s = Double(step)
    var entries = [["loss": 0.3 + 60 * exp(-s / 120), "grad_norm": 3, "learning_rate": 1e-3 * min(s / 100, (1000 - s) / 900), "epoch": s / 125, "step": s]]
    if step % 100 == 0 {
      entries.append(["eval_loss": 0.5 + 40 * exp(-s / 150), "eval_wer": 1.3 * exp(-s / 400), "eval_cer": 0.9 * exp(-s / 300), "epoch": s / 125, "step": s])
    }
    return entries
  }

  /// Six steps whose loss stays within a decade, with a diverged (NaN) step and one evaluation.
  static let narrow: [[String: Double]] = (1...6).map { (step: Int) -> [String: Double] in
    let s = Double(step)
    let loss: Double = step == 4 ? .nan : 15 + Double(step % 3)
    return ["loss": loss, "grad_norm": 2, "learning_rate": 1e-4 * (7 - s) / 6, "epoch": s / 3, "step": s]
  } + [["eval_loss": 12.5, "eval_wer": 0.75, "eval_cer": 0.4, "epoch": 2, "step": 6]]

  struct Plot {
    let document: XMLDocument

    init(_ history: [[String: Double]]) throws {
      document = try XMLDocument(xmlString: TrainingPlot.svg(history))
    }

    func elements(_ xpath: String) throws -> [XMLElement] { try document.nodes(forXPath: xpath).compactMap { $0 as? XMLElement } }

    /// `//name` in the SVG namespace, with optional attribute conditions.
    func svg(_ name: String, _ condition: String = "") throws -> [XMLElement] { try elements("//*[local-name()='\(name)']\(condition)") }

    /// A panel's y ticks: (value, label, y).
    func ticks(panel: String) throws -> [(value: Double, label: String, y: Double)] {
      try svg("g", "[@data-panel='\(panel)']/*[local-name()='text'][@data-axis='y']").map {
        (Double($0.attribute("data-value") ?? "") ?? .nan, $0.stringValue ?? "", (Double($0.attribute("y") ?? "") ?? .nan) - 4)
      }
    }

    func scale(panel: String) throws -> String? { try svg("g", "[@data-panel='\(panel)']").first?.attribute("data-scale") }

    /// A series' path points (x, y).
    func points(_ series: String) throws -> [(x: Double, y: Double)] {
      let path = try #require(try svg("path", "[@data-series='\(series)']").first?.attribute("d"))
      return path.split(separator: " ").map { command in
        let numbers = command.dropFirst().split(separator: ",").map { Double($0)! }
        return (numbers[0], numbers[1])
      }
    }
  }

  @Test(arguments: [decades, narrow, [], [["loss": 1, "step": 1]]])
  func theSVGIsWellFormedXML(history: [[String: Double]]) throws {
    let plot = try Plot(history)
    #expect(plot.document.rootElement()?.name == "svg")
    #expect(try plot.svg("g", "[@class='panel']").count == 3)
  }

  @Test func everyAxisHasRoundTickLabels() throws {
    let plot = try Plot(Self.decades)
    let steps = try plot.svg("text", "[@data-axis='x']").map { $0.stringValue ?? "" }
    #expect(steps == ["0", "200", "400", "600", "800", "1000"])
    #expect(try plot.ticks(panel: "error rate").map(\.label) == ["0%", "25%", "50%", "75%", "100%", "125%"])
    #expect(try plot.ticks(panel: "learning rate").map(\.label) == ["0", "2e-4", "4e-4", "6e-4", "8e-4", "1e-3"])
    let narrow = try Plot(Self.narrow)
    #expect(try narrow.svg("text", "[@data-axis='x']").map { $0.stringValue ?? "" } == ["0", "1", "2", "3", "4", "5", "6"])
    #expect(try narrow.ticks(panel: "loss").map(\.label) == ["0", "5", "10", "15", "20"])
    #expect(try narrow.ticks(panel: "error rate").map(\.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
    // Ticks are evenly spaced on linear axes, and cover the data.
    for (plot, panel) in [(plot, "error rate"), (plot, "learning rate"), (narrow, "loss")] {
      let ys = try plot.ticks(panel: panel).map(\.y)
      let gaps = zip(ys, ys.dropFirst()).map { $0 - $1 }
      #expect(gaps.allSatisfy { abs($0 - gaps[0]) < 0.11 }, "\(panel): \(ys)")
    }
  }

  @Test func theLegendHasASwatchInEachSeriesColour() throws {
    for history in [Self.decades, Self.narrow] {
      let plot = try Plot(history)
      let paths = try plot.svg("path", "[@class='series']")
      #expect(paths.map { $0.attribute("data-series") } == ["training loss", "eval loss", "eval WER", "eval CER", "learning rate"])
      #expect(Set(paths.map { $0.attribute("stroke") }).count == paths.count, "two series share a colour")
      for path in paths {
        let name = path.attribute("data-series")!
        let entries = try plot.svg("g", "[@class='legend-entry'][@data-series='\(name)']")
        try #require(entries.count == 1, "\(name): \(entries.count) legend entries")
        let swatch = try #require(entries[0].children?.compactMap { $0 as? XMLElement }.first { $0.name == "line" })
        #expect(swatch.attribute("stroke") == path.attribute("stroke"), "\(name)")
        #expect(swatch.attribute("stroke-dasharray") == path.attribute("stroke-dasharray"), "\(name)")
        #expect(entries[0].stringValue?.hasPrefix(name + " ") == true)
      }
    }
    // No entry for a series without points.
    #expect(try Plot([["loss": 2, "step": 1]]).svg("g", "[@class='legend-entry']").map { $0.attribute("data-series") } == ["training loss"])
  }

  @Test func aLossSpanningDecadesIsOnALogAxis() throws {
    let plot = try Plot(Self.decades)
    #expect(try plot.scale(panel: "loss") == "logarithmic")
    let ticks = try plot.ticks(panel: "loss")
    #expect(ticks.map(\.label) == ["0.1", "1", "10", "100"])
    // Each decade takes the same height.
    let gaps = zip(ticks, ticks.dropFirst()).map { $0.y - $1.y }
    #expect(gaps.allSatisfy { abs($0 - gaps[0]) < 0.11 } && gaps[0] > 0, "\(gaps)")
    // The first point (step 10, loss 0.3 + 60 e^(-1/12)) sits where the log axis puts it.
    let first = try #require(try plot.points("training loss").first)
    let value = 0.3 + 60 * exp(-10.0 / 120)
    let expectedY = ticks[1].y - (ticks[1].y - ticks[2].y) * log10(value)
    #expect(abs(first.y - expectedY) < 0.11, "\(first.y) against \(expectedY)")
    #expect(try plot.svg("text").contains { $0.stringValue == "loss (log scale)" })
    // Within a decade the axis stays linear.
    #expect(try Plot(Self.narrow).scale(panel: "loss") == "linear")
  }

  @Test func errorRatesHaveTheirOwnAxisInPerCent() throws {
    let plot = try Plot(Self.narrow)
    let ticks = try plot.ticks(panel: "error rate")
    // WER 0.75 and CER 0.4 at step 6, on the 0–100 % axis.
    for (series, rate) in [("eval WER", 0.75), ("eval CER", 0.4)] {
      let point = try #require(try plot.points(series).first)
      let expectedY = ticks[0].y + (ticks.last!.y - ticks[0].y) * rate
      #expect(abs(point.y - expectedY) < 0.11, "\(series): \(point.y) against \(expectedY)")
    }
    #expect(try plot.svg("g", "[@class='legend-entry'][@data-series='eval WER']").first?.stringValue == "eval WER 75.0%")
    // The loss panel does not carry them.
    #expect(try plot.svg("g", "[@data-panel='loss']/*[local-name()='path']").map { $0.attribute("data-series") } == ["training loss", "eval loss"])
    // A CER above 100 % (insertions) extends the axis rather than leaving the plot.
    let wild = try Plot([["eval_loss": 9, "eval_wer": 1, "eval_cer": 2.77, "step": 3]])
    #expect(try wild.ticks(panel: "error rate").last?.label == "300%")
  }

  @Test(.enabled(if: PlotImage.converter != nil, "rsvg-convert is not installed"))
  func thePNGIsThePlotDrawn() throws {
    try withTemporaryFolder("asrc-plot") { folder in
      let svg = folder + "/training.svg"
      try TrainingPlot.svg(Self.decades).write(toFile: svg, atomically: true, encoding: .utf8)
      #expect(try PlotImage.write(svgFile: svg, to: folder + "/training.png") == .written)
      let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/training.png"))
      // The PNG signature, then the IHDR chunk's width (big-endian at byte 16): the SVG's 880.
      #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
      #expect(png[16..<20].reduce(0) { $0 << 8 | Int($1) } == Int(TrainingPlot.width))
      // A file rsvg-convert cannot read: an error naming the PNG, and no partial file left.
      try "<svg".write(toFile: folder + "/broken.svg", atomically: true, encoding: .utf8)
      #expect { try PlotImage.write(svgFile: folder + "/broken.svg", to: folder + "/broken.png") } throws: { error in
        (error as? FormatError)?.path == folder + "/broken.png" && "\(error)".contains("rsvg-convert failed")
      }
      #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["broken.svg", "training.png", "training.svg"])
    }
  }

  @Test func axisLabelsAreRound() {
    #expect(PlotAxis.niceStep(0.24) == 0.25)
    #expect(PlotAxis.niceStep(170) == 200)
    #expect(PlotAxis.niceStep(2.4, multiples: [1, 2, 5]) == 5)
    #expect(PlotAxis.format(9.9996e-4) == "1e-3")
    #expect(PlotAxis.format(8.333e-6, digits: 3) == "8.33e-6")
    #expect(PlotAxis.format(0.1 + 0.2) == "0.3")
    #expect(PlotAxis.linear(covering: [0.1 + 0.2, 0.7]).labels == ["0", "0.2", "0.4", "0.6", "0.8"])
  }
}

extension XMLElement {
  /// The attribute's value (corelibs' attribute(forName:) misses attributes in namespaced documents).
  func attribute(_ name: String) -> String? { attributes?.first { $0.name == name }?.stringValue }
}
