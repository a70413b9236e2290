import Foundation

/// An SVG of the training loss and evaluation WER / CER over steps (training.svg).
public enum TrainingPlot {
  public static func svg(_ history: [[String: Double]]) -> String {
    let (width, height, margin) = (720.0, 360.0, 48.0)
    let losses = history.compactMap { entry in entry["loss"].flatMap { loss in entry["step"].map { ($0, loss) } } }
    let wers = history.compactMap { entry in entry["eval_wer"].flatMap { wer in entry["step"].map { ($0, wer) } } }
    let cers = history.compactMap { entry in entry["eval_cer"].flatMap { cer in entry["step"].map { ($0, cer) } } }
    let maxStep = Swift.max(1, (losses + wers).map(\.0).max() ?? 1)
    let maxLoss = Swift.max(1e-9, losses.map(\.1).filter(\.isFinite).max() ?? 1)
    func x(_ step: Double) -> Double { margin + (width - 2 * margin) * step / maxStep }
    func y(_ value: Double, _ top: Double) -> Double { height - margin - (height - 2 * margin) * Swift.min(value, top) / top }
    func path(_ points: [(Double, Double)], top: Double) -> String {
      points.filter { $0.1.isFinite }.enumerated().map { index, point in
        String(format: "%@%.1f,%.1f", index == 0 ? "M" : "L", x(point.0), y(point.1, top))
      }.joined(separator: " ")
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="Helvetica" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <line x1="\(margin)" y1="\(height - margin)" x2="\(width - margin)" y2="\(height - margin)" stroke="black"/>
      <line x1="\(margin)" y1="\(margin)" x2="\(margin)" y2="\(height - margin)" stroke="black"/>
      <line x1="\(width - margin)" y1="\(margin)" x2="\(width - margin)" y2="\(height - margin)" stroke="black"/>
      <text x="\(width / 2)" y="\(height - 12)" text-anchor="middle">step (0 to \(Int(maxStep)))</text>
      <text x="12" y="\(margin - 16)">training loss (0 to \(String(format: "%.3g", maxLoss)))</text>
      <text x="\(width - margin)" y="\(margin - 16)" text-anchor="end">eval WER / CER (0 to 1)</text>

      """
    svg += "<path d=\"\(path(losses, top: maxLoss))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
    svg += "<path d=\"\(path(wers, top: 1))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
    svg += "<path d=\"\(path(cers, top: 1))\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
    svg += "<text x=\"\(width - margin - 4)\" y=\"\(margin + 14)\" text-anchor=\"end\" fill=\"#1f77b4\">loss</text>\n"
    svg += "<text x=\"\(width - margin - 4)\" y=\"\(margin + 30)\" text-anchor=\"end\" fill=\"#d62728\">WER</text>\n"
    svg += "<text x=\"\(width - margin - 4)\" y=\"\(margin + 46)\" text-anchor=\"end\" fill=\"#ff7f0e\">CER</text>\n"
    return svg + "</svg>\n"
  }
}
