import Foundation
import IR
import Passes

/// `index.html` of a dump folder: one self-contained page (no network, works from file://)
/// to step through a compile with the keyboard. Every stage's figures, text diff against the
/// stage before, IR text and SVG drawing are inlined as JavaScript data.
public enum DumpPage {
  public struct Stage: Sendable {
    public var summary: StageSummary
    public var file: String
    public var text: String
    public var diff: String
    public var added: Int
    public var removed: Int
    public var svg: String?
    /// Why there is no drawing, when dot was installed but gave none.
    public var drawingNote: String? = nil
  }

  public static func html(title: String, stages: [Stage]) -> String {
    var data = "["
    for (index, stage) in stages.enumerated() {
      if index > 0 { data += ",\n" }
      let summary = stage.summary
      var fields: [(String, String)] = [
        ("name", json(summary.name)), ("position", String(summary.position)), ("file", json(stage.file)),
        ("seconds", summary.seconds.map { json(formatSeconds($0)) } ?? "null"),
        ("nodesBefore", summary.nodesBefore.map(String.init) ?? "null"), ("nodesAfter", String(summary.nodesAfter)),
        ("peak", summary.memory.map { json(formatBytes($0.plannedPeakBytes)) } ?? "null"),
        ("unplanned", summary.memory.map { json(formatBytes($0.unplannedBytes)) } ?? "null"),
        ("added", String(stage.added)), ("removed", String(stage.removed)),
        ("diff", json(stage.diff)), ("text", json(stage.text)),
      ]
      var svg = stage.svg
      if let start = svg?.range(of: "<svg") { svg = String(svg![start.lowerBound...]) }
      fields.append(("svg", svg.map(json) ?? "null"))
      fields.append(("drawingNote", stage.drawingNote.map(json) ?? "null"))
      data += "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
    data += "]"
    let legend = OpFamily.allCases.map { "<span class=\"family\"><span class=\"swatch\" style=\"background:\(DotWriter.fillColor($0))\"></span>\($0.rawValue)</span>" }
      .joined(separator: " ")
    return template
      .replacingOccurrences(of: "@TITLE@", with: escapeHTML(title))
      .replacingOccurrences(of: "@LEGEND@", with: legend)
      .replacingOccurrences(of: "@DATA@", with: data)
  }

  /// A JSON string literal that is also safe inside a `<script>` element.
  static func json(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "<": out += "\\u003c"
      case ">": out += "\\u003e"
      case "&": out += "\\u0026"
      case "\u{2028}": out += "\\u2028"
      case "\u{2029}": out += "\\u2029"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  static func escapeHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }

  static let template = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>@TITLE@</title>
    <style>
    * { box-sizing: border-box; }
    html, body { margin: 0; height: 100%; font: 13px/1.35 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; }
    body { display: grid; grid-template-columns: 270px 1fr; grid-template-rows: auto 1fr; height: 100vh; }
    header { grid-column: 1 / 3; padding: 6px 12px; background: #24292f; color: #fff; display: flex; gap: 18px; align-items: baseline; }
    header h1 { font-size: 15px; margin: 0; font-weight: 600; }
    header .keys { color: #c9d1d9; font-size: 12px; margin-left: auto; }
    kbd { border: 1px solid #8b949e; border-radius: 3px; padding: 0 4px; font-size: 11px; }
    nav { overflow-y: auto; border-right: 1px solid #d0d7de; background: #f6f8fa; }
    nav table { border-collapse: collapse; width: 100%; }
    nav td { padding: 4px 6px; border-bottom: 1px solid #e4e8ec; cursor: pointer; white-space: nowrap; }
    nav tr.current td { background: #0969da; color: #fff; }
    nav td.num { color: #6e7781; text-align: right; }
    nav tr.current td.num { color: #dbe9ff; }
    nav .sub { font-size: 11px; color: #57606a; }
    nav tr.current .sub { color: #dbe9ff; }
    main { display: grid; grid-template-rows: auto 1fr; min-height: 0; min-width: 0; }
    #facts { padding: 8px 12px; border-bottom: 1px solid #d0d7de; display: flex; flex-wrap: wrap; gap: 6px 22px; align-items: baseline; }
    #facts .pass { font-size: 18px; font-weight: 600; }
    #facts .fact b { font-weight: 600; }
    #facts .plus { color: #1a7f37; } #facts .minus { color: #cf222e; }
    #panes { display: grid; grid-template-columns: 3fr 2fr; min-height: 0; }
    #drawing { position: relative; overflow: hidden; border-right: 1px solid #d0d7de; background: #fff; cursor: grab; }
    #drawing.dragging { cursor: grabbing; }
    #canvas { transform-origin: 0 0; position: absolute; left: 0; top: 0; }
    #toolbar { position: absolute; right: 8px; top: 8px; z-index: 2; background: rgba(255,255,255,.92); border: 1px solid #d0d7de; border-radius: 4px; padding: 4px 6px; font-size: 11px; max-width: 60%; }
    .family { white-space: nowrap; }
    .swatch { display: inline-block; width: 10px; height: 10px; border: 1px solid #999; margin: 0 2px 0 6px; vertical-align: -1px; }
    #nosvg { padding: 20px; color: #57606a; }
    #text { display: grid; grid-template-rows: auto 1fr; min-height: 0; }
    #tabs { padding: 4px 8px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; }
    #tabs button { font: inherit; border: 1px solid #d0d7de; background: #fff; border-radius: 4px; padding: 2px 10px; cursor: pointer; }
    #tabs button.on { background: #0969da; color: #fff; border-color: #0969da; }
    pre { margin: 0; padding: 6px 8px; overflow: auto; font: 11.5px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
    .add { background: #dafbe1; display: block; } .del { background: #ffebe9; display: block; } .hunk { color: #8250df; display: block; }
    </style>
    </head>
    <body>
    <header><h1>@TITLE@</h1><span id="where"></span>
    <span class="keys"><kbd>←</kbd><kbd>→</kbd> or <kbd>k</kbd><kbd>j</kbd> step · <kbd>t</kbd> diff / IR · <kbd>f</kbd> fit drawing · <kbd>0</kbd> actual size · wheel zooms, drag pans</span></header>
    <nav><table id="list"></table></nav>
    <main>
    <div id="facts"></div>
    <div id="panes">
    <div id="drawing"><div id="toolbar">@LEGEND@</div><div id="canvas"></div></div>
    <div id="text"><div id="tabs"><button id="tab-diff">diff against the previous stage</button> <button id="tab-ir">IR</button></div><pre id="body"></pre></div>
    </div>
    </main>
    <script>
    const stages = @DATA@;
    let current = 0, textView = "diff", scale = 1, panX = 0, panY = 0;
    const $ = id => document.getElementById(id);
    const escape = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

    function listRows() {
      $("list").innerHTML = stages.map((s, i) => {
        const nodes = s.nodesBefore === null ? s.nodesAfter + " nodes" : s.nodesBefore + " → " + s.nodesAfter + " nodes";
        const extra = [s.seconds, s.peak].filter(x => x !== null).join(" · ");
        return `<tr data-i="${i}"><td class="num">${String(s.position).padStart(2, "0")}</td><td>${escape(s.name)}<div class="sub">${nodes}${extra ? " · " + extra : ""}</div></td></tr>`;
      }).join("");
      for (const row of document.querySelectorAll("#list tr")) row.onclick = () => show(+row.dataset.i);
    }

    function renderText() {
      const s = stages[current];
      $("tab-diff").classList.toggle("on", textView === "diff");
      $("tab-ir").classList.toggle("on", textView === "ir");
      if (textView === "ir") { $("body").innerHTML = escape(s.text); return; }
      if (current === 0) { $("body").textContent = "The input graph: nothing to compare with. Press t for its IR."; return; }
      if (!s.diff) { $("body").textContent = "No change: the IR after this pass equals the IR before it."; return; }
      $("body").innerHTML = s.diff.split("\\n").map(line => {
        const cls = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
        return cls ? `<span class="${cls}">${escape(line)}</span>` : escape(line) + "\\n";
      }).join("");
    }

    function applyTransform() { $("canvas").style.transform = `translate(${panX}px, ${panY}px) scale(${scale})`; }

    function fit() {
      const svg = $("canvas").querySelector("svg");
      if (!svg) return;
      const box = $("drawing").getBoundingClientRect(), w = svg.getBoundingClientRect().width / scale, h = svg.getBoundingClientRect().height / scale;
      scale = Math.min(box.width / w, box.height / h, 1); panX = (box.width - w * scale) / 2; panY = 0; applyTransform();
    }

    function show(i) {
      current = Math.max(0, Math.min(stages.length - 1, i));
      const s = stages[current];
      for (const row of document.querySelectorAll("#list tr")) row.classList.toggle("current", +row.dataset.i === current);
      document.querySelector("#list tr.current")?.scrollIntoView({ block: "nearest" });
      $("where").textContent = `stage ${current + 1} of ${stages.length}: ${s.file}`;
      const facts = [`<span class="pass">${String(s.position).padStart(2, "0")} ${escape(s.name)}</span>`];
      if (s.seconds !== null) facts.push(`<span class="fact">time <b>${s.seconds}</b></span>`);
      facts.push(`<span class="fact">nodes <b>${s.nodesBefore === null ? s.nodesAfter : s.nodesBefore + " → " + s.nodesAfter}</b></span>`);
      if (s.peak !== null) facts.push(`<span class="fact">planned peak <b>${s.peak}</b> (all buffers without planning ${s.unplanned})</span>`);
      if (current > 0) facts.push(`<span class="fact">IR lines <b class="plus">+${s.added}</b> <b class="minus">−${s.removed}</b></span>`);
      $("facts").innerHTML = facts.join("");
      $("canvas").innerHTML = s.svg !== null ? s.svg
        : `<div id="nosvg">No drawing: ${s.drawingNote !== null ? escape(s.drawingNote) : `Graphviz's dot was not installed when the dump was written (${escape(s.file)}.dot is beside this page).`}</div>`;
      applyTransform();
      renderText();
    }

    document.addEventListener("keydown", e => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "ArrowRight" || e.key === "j") { show(current + 1); e.preventDefault(); }
      else if (e.key === "ArrowLeft" || e.key === "k") { show(current - 1); e.preventDefault(); }
      else if (e.key === "t") { textView = textView === "diff" ? "ir" : "diff"; renderText(); }
      else if (e.key === "f") fit();
      else if (e.key === "0") { scale = 1; panX = 0; panY = 0; applyTransform(); }
    });
    $("tab-diff").onclick = () => { textView = "diff"; renderText(); };
    $("tab-ir").onclick = () => { textView = "ir"; renderText(); };
    $("drawing").addEventListener("wheel", e => {
      e.preventDefault();
      const box = $("drawing").getBoundingClientRect(), x = e.clientX - box.left, y = e.clientY - box.top;
      const factor = Math.exp(-e.deltaY * 0.0015), next = Math.max(0.02, Math.min(8, scale * factor));
      panX = x - (x - panX) * next / scale; panY = y - (y - panY) * next / scale; scale = next; applyTransform();
    }, { passive: false });
    let drag = null;
    $("drawing").addEventListener("mousedown", e => { drag = { x: e.clientX - panX, y: e.clientY - panY }; $("drawing").classList.add("dragging"); });
    window.addEventListener("mousemove", e => { if (drag) { panX = e.clientX - drag.x; panY = e.clientY - drag.y; applyTransform(); } });
    window.addEventListener("mouseup", () => { drag = null; $("drawing").classList.remove("dragging"); });
    listRows();
    // index.html#3 opens stage 3; index.html#3:fit also fits its drawing to the pane.
    const [stageInHash, view] = location.hash.slice(1).split(":");
    show(Number(stageInHash) || 0);
    if (view === "fit") fit();
    </script>
    </body>
    </html>

    """
}
