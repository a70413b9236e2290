import Foundation

/// The SVG of a run's log history (training.svg), in three panels over the steps: the training
/// and evaluation losses (on a log scale when they span more than a decade), the evaluation WER
/// and CER in per cent, and the learning-rate schedule; round tick values on every axis, and a
/// legend with each series' colour and last value.
public enum TrainingPlot {
  /// A line of the plot: a log_history key, how it is named and drawn, and the panel it is in.
  struct Series {
    var key: String
    var name: String
    var color: String
    var dash: String?
    var panel: Panel
    /// Shown as a percentage (the value × 100).
    var isRate = false
  }

  enum Panel: Int, CaseIterable {
    case loss, errorRate, learningRate

    var title: String {
      switch self {
      case .loss: "loss"
      case .errorRate: "error rate"
      case .learningRate: "learning rate"
      }
    }

    /// The panel's height in pixels: the losses get the most room, the schedule the least.
    var height: Double {
      switch self {
      case .loss: 260
      case .errorRate: 160
      case .learningRate: 84
      }
    }
  }

  static let series = [
    Series(key: "loss", name: "training loss", color: "#1f77b4", panel: .loss),
    Series(key: "eval_loss", name: "eval loss", color: "#9467bd", dash: "6 3", panel: .loss),
    Series(key: "eval_wer", name: "eval WER", color: "#d62728", panel: .errorRate, isRate: true),
    Series(key: "eval_cer", name: "eval CER", color: "#ff7f0e", dash: "6 3", panel: .errorRate, isRate: true),
    Series(key: "learning_rate", name: "learning rate", color: "#2ca02c", panel: .learningRate),
  ]

  // Layout, in SVG pixels: the panels share the plot's width, with gaps for their tick labels.
  static let width = 880.0
  static let left = 84.0
  static let right = 28.0
  static let panelGap = 34.0
  static let legendRowHeight = 20.0

  /// A series' points: (step, value shown), finite values only.
  typealias Points = [(step: Double, value: Double)]

  public static func svg(_ history: [[String: Double]]) -> String {
    let points = Dictionary(uniqueKeysWithValues: series.map { line in
      let values: Points = history.compactMap { entry in
        guard let step = entry["step"], let value = entry[line.key], value.isFinite else { return nil }
        return (step, line.isRate ? value * 100 : value)
      }
      return (line.key, values)
    })
    let xAxis = PlotAxis.steps(upTo: points.values.flatMap { $0.map(\.step) }.max() ?? 1)
    let axes: [Panel: PlotAxis] = [
      .loss: PlotAxis.forLoss((points["loss"]! + points["eval_loss"]!).map(\.value)),
      .errorRate: PlotAxis.linear(covering: (points["eval_wer"]! + points["eval_cer"]!).map(\.value), minimumUpper: 100),
      .learningRate: PlotAxis.linear(covering: points["learning_rate"]!.map(\.value), minimumUpper: 1e-12),
    ]
    let (legendSVG, legendRows) = legend(points)
    var tops: [Panel: Double] = [:]
    var top = 36 + Double(legendRows) * legendRowHeight + 16
    for panel in Panel.allCases {
      tops[panel] = top
      top += panel.height + panelGap
    }
    let bottom = tops[.learningRate]! + Panel.learningRate.height
    let height = bottom + 52
    let plotWidth = width - left - right
    func x(_ step: Double) -> Double { left + plotWidth * (xAxis.fraction(step) ?? 0) }
    func y(_ value: Double, _ panel: Panel) -> Double? {
      axes[panel]!.fraction(value).map { tops[panel]! + panel.height * (1 - $0) }
    }

    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="24" font-size="16" font-weight="bold">Training</text>

      """
    svg += legendSVG
    for panel in Panel.allCases {
      let axis = axes[panel]!
      let panelTop = tops[panel]!
      svg += "<g class=\"panel\" data-panel=\"\(panel.title)\" data-scale=\"\(axis.kind.rawValue)\">\n"
      for tick in xAxis.ticks { svg += line(x(tick), panelTop, x(tick), panelTop + panel.height, stroke: "#e6e6e6") }
      for (tick, label) in zip(axis.ticks, axis.labels) {
        guard let position = y(tick, panel) else { continue }
        svg += line(left, position, width - right, position, stroke: "#e6e6e6")
        svg += line(left - 5, position, left, position, stroke: "#444")
        let text = panel == .errorRate ? label + "%" : label
        svg += "<text class=\"tick\" data-axis=\"y\" data-value=\"\(tick)\" x=\(quoted(left - 8)) y=\(quoted(position + 4)) text-anchor=\"end\" fill=\"#333\">\(text)</text>\n"
      }
      svg += "<rect x=\(quoted(left)) y=\(quoted(panelTop)) width=\(quoted(plotWidth)) height=\(quoted(panel.height)) fill=\"none\" stroke=\"#888\"/>\n"
      let title = panel.title + (axis.kind == .logarithmic ? " (log scale)" : "")
      let middle = panelTop + panel.height / 2
      svg += "<text x=\"20\" y=\(quoted(middle)) transform=\"rotate(-90 20 \(format(middle)))\" text-anchor=\"middle\" fill=\"#333\">\(title)</text>\n"
      let drawn = series.filter { $0.panel == panel && !points[$0.key]!.isEmpty }
      for line in drawn {
        let placed = points[line.key]!.compactMap { point in y(point.value, panel).map { (x(point.step), $0) } }
        let path = placed.enumerated().map { index, point in (index == 0 ? "M" : "L") + format(point.0) + "," + format(point.1) }.joined(separator: " ")
        svg += "<path class=\"series\" data-series=\"\(line.name)\" d=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" stroke-linejoin=\"round\"\(dashes(line))/>\n"
        // Evaluations are sparse: a marker at each shows where they were taken (and makes a
        // single one visible); a lone point of any series gets one too.
        if placed.count == 1 || (line.key.hasPrefix("eval_") && placed.count <= 40) {
          for point in placed { svg += "<circle cx=\(quoted(point.0)) cy=\(quoted(point.1)) r=\"3\" fill=\"\(line.color)\"/>\n" }
        }
      }
      if drawn.isEmpty {
        let note = panel == .errorRate ? "no evaluation in this run" : "nothing logged"
        svg += "<text x=\(quoted(left + plotWidth / 2)) y=\(quoted(middle + 4)) text-anchor=\"middle\" fill=\"#888\">\(note)</text>\n"
      }
      svg += "</g>\n"
    }
    for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
      svg += line(x(tick), bottom, x(tick), bottom + 5, stroke: "#444")
      svg += "<text class=\"tick\" data-axis=\"x\" data-value=\"\(tick)\" x=\(quoted(x(tick))) y=\(quoted(bottom + 19)) text-anchor=\"middle\" fill=\"#333\">\(label)</text>\n"
    }
    svg += "<text x=\(quoted(left + plotWidth / 2)) y=\(quoted(bottom + 40)) text-anchor=\"middle\" fill=\"#333\">step</text>\n"
    return svg + "</svg>\n"
  }

  /// Above the panels: for each series with points, a swatch drawn as the series is (colour and
  /// dashes) and its name with its last value; entries wrap onto more rows when the width is
  /// used up. Returns the SVG and the number of rows.
  private static func legend(_ points: [String: Points]) -> (svg: String, rows: Int) {
    var svg = "<g class=\"legend\">\n"
    var (x, row) = (left, 0)
    for line in series {
      guard let last = points[line.key]!.last?.value else { continue }
      let label = "\(line.name) " + (line.isRate ? String(format: "%.1f%%", last) : PlotAxis.format(last, digits: line.panel == .learningRate ? 3 : 4))
      // Helvetica at 12 px averages about 6.2 px a character (digits and lower case).
      let entryWidth = 32 + Double(label.count) * 6.2
      if x > left && x + entryWidth > width - right {
        (x, row) = (left, row + 1)
      }
      let y = 50 + Double(row) * legendRowHeight
      svg += "<g class=\"legend-entry\" data-series=\"\(line.name)\">"
      svg += "<line x1=\(quoted(x)) y1=\(quoted(y - 4)) x2=\(quoted(x + 26)) y2=\(quoted(y - 4)) stroke=\"\(line.color)\" stroke-width=\"3\"\(dashes(line))/>"
      svg += "<text x=\(quoted(x + 32)) y=\(quoted(y)) fill=\"#222\">\(label)</text></g>\n"
      x += entryWidth + 20
    }
    return (svg + "</g>\n", row + 1)
  }

  private static func dashes(_ line: Series) -> String { line.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "" }

  private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
    "<line x1=\(quoted(x1)) y1=\(quoted(y1)) x2=\(quoted(x2)) y2=\(quoted(y2)) stroke=\"\(stroke)\"/>\n"
  }

  private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
  private static func quoted(_ value: Double) -> String { "\"" + format(value) + "\"" }
}
