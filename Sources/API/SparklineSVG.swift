import Foundation

/// A small chart of one value per minute, drawn on the server as inline SVG: bars (counts)
/// or a line (latencies, broken where a minute has no value), scaled so the largest value
/// fills the height. This type computes the geometry; the `sparkline` template writes the
/// markup with `{{ }}` only, so the title and every label are escaped like the rest of the
/// page. No script, no external asset: nothing the page's Content-Security-Policy must allow.
struct SparklineSVG {
    enum Style: String { case bars, line }

    // Coordinates are numbers, not strings: a page has thousands, and only strings need
    // escaping (each escaped string is parsed into a template of its own).
    struct Bar { let x, y, h: Double; let label: String }
    struct Segment { let points: String }
    struct Dot { let cx, cy: Double; let label: String }

    /// Pixels per minute, and the plot's height (the largest value reaches it).
    static let step = 4.0, plotHeight = 38.0
    static let height = 40

    let style: String
    let width: Int
    let height: Int
    /// The baseline's y: half a pixel up, so its 1-pixel stroke is drawn whole.
    let baseline: Double
    /// The chart's accessible name (its `<title>`), and what a browser shows on hover.
    let title: String
    let bars: [Bar]
    let segments: [Segment]
    let dots: [Dot]

    /// `values[i]` is minute i (oldest first); nil or 0 draws nothing there. `labels[i]` is
    /// minute i's hover text (a `<title>` on its bar or dot).
    init(_ values: [Double?], labels: [String], title: String, style: Style) {
        precondition(labels.count == values.count, "one label per value")
        self.style = style.rawValue
        width = Int(Self.step) * values.count
        height = Self.height
        baseline = Double(Self.height) - 0.5
        self.title = title
        let top = values.compactMap { $0 }.max() ?? 0
        func y(_ value: Double) -> Double { Double(Self.height) - Self.scaled(value, top: top) }
        var bars: [Bar] = [], segments: [Segment] = [], dots: [Dot] = []
        switch style {
        case .bars:
            for (i, value) in values.enumerated() {
                guard let value, value > 0 else { continue }
                let h = Self.scaled(value, top: top)
                bars.append(Bar(x: Double(i) * Self.step, y: Self.tenths(Double(Self.height) - h), h: Self.tenths(h), label: labels[i]))
            }
        case .line:
            var run: [String] = []
            // One step past the end closes the last run.
            for i in 0...values.count {
                guard i < values.count, let value = values[i] else {
                    if run.count > 1 { segments.append(Segment(points: run.joined(separator: " "))) }
                    run = []
                    continue
                }
                let point = (x: (Double(i) + 0.5) * Self.step, y: Self.tenths(y(value)))
                run.append("\(Self.number(point.x)),\(Self.number(point.y))")
                dots.append(Dot(cx: point.x, cy: point.y, label: labels[i]))
            }
        }
        self.bars = bars
        self.segments = segments
        self.dots = dots
    }

    /// A value's height in pixels: in proportion to the largest, and at least one pixel
    /// when above zero, so a minute with one send among minutes with hundreds still shows.
    static func scaled(_ value: Double, top: Double) -> Double {
        guard value > 0, top > 0 else { return 0 }
        return max(1, value / top * plotHeight)
    }

    /// A coordinate rounded to a tenth of a pixel (more is invisible, and longer to send).
    static func tenths(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// A rounded coordinate as text, without a trailing ".0".
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(tenths(value))
    }

    /// The chart as SVG markup: the template the status page includes (`{{> sparkline}}`),
    /// rendered alone — through `ScalarEscapedView`, as the page renders it.
    static func render(_ chart: SparklineSVG) -> String {
        AdminTemplates.library.render(ScalarEscapedView(chart), withTemplate: "sparkline") ?? ""
    }

    /// Presentation attributes, not styles, so the chart looks the same wherever it is shown.
    static let template = """
        <svg class="spark {{style}}" xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img">\
        <title>{{title}}</title>\
        <line x1="0" y1="{{baseline}}" x2="{{width}}" y2="{{baseline}}" stroke="#ccc" stroke-width="1"/>\
        <g fill="#b3261e">{{#bars}}<rect x="{{x}}" y="{{y}}" width="\(Int(step) - 1)" height="{{h}}"><title>{{label}}</title></rect>{{/bars}}</g>\
        <g fill="none" stroke="#1f5fbf" stroke-width="1.5">{{#segments}}<polyline points="{{points}}"/>{{/segments}}</g>\
        <g fill="#1f5fbf">{{#dots}}<circle cx="{{cx}}" cy="{{cy}}" r="1.5"><title>{{label}}</title></circle>{{/dots}}</g>\
        </svg>
        """
}
