@testable import API
import Foundation
import Operations
import Testing

/// The status page's charts as pure functions: the SVG a list of per-minute values makes,
/// the in-memory latency window behind the p99 charts, and the section built from both.
@Suite("/admin last-hour charts")
struct AdminSparklineTests {
    static func labels(_ n: Int) -> [String] { (0..<n).map { "minute \($0)" } }

    /// 60 minutes: 0 except the given ones.
    static func minutes(_ values: [Int: Double]) -> [Double?] { (0..<60).map { values[$0] ?? 0 } }

    @Test("bars: one <rect> per minute above zero, the largest as tall as the plot, the others in proportion; each bar titled with its minute")
    func barsScaleToTheMax() throws {
        let chart = SparklineSVG(Self.minutes([3: 1, 10: 2, 59: 4, 20: 40]), labels: Self.labels(60), title: "acme", style: .bars)
        let tags = HTMLTags.parse(SparklineSVG.render(chart))
        let rects = tags.filter { $0.name == "rect" }
        #expect(rects.count == 4)
        func number(_ tag: HTMLTags.Tag, _ name: String) -> Double? { tag.attributes[name].flatMap(Double.init) }
        let byX = Dictionary(uniqueKeysWithValues: rects.map { (number($0, "x")!, $0) })
        #expect(byX[80].map { number($0, "height") == 38 && number($0, "y") == 2 } == true, "40, the peak, fills the plot")
        #expect(byX[236].map { number($0, "height") == 3.8 && number($0, "y") == 36.2 } == true, "4 is a tenth of it")
        #expect(byX[40].map { number($0, "height") } == 1.9)
        #expect(byX[12].map { number($0, "height") } == 1, "1 of 40 would be under a pixel: drawn as one, not lost")
        #expect(rects.allSatisfy { $0.attributes["width"] == "3" })
        let svg = try #require(tags.first { $0.name == "svg" })
        #expect(svg.attributes["width"] == "240" && svg.attributes["viewbox"] == "0 0 240 40" && svg.attributes["role"] == "img")
        #expect(tags.filter { $0.name == "title" }.count == 5, "the chart's title and one per bar")
        #expect(SparklineSVG.render(chart).contains("<title>minute 20</title>"))
    }

    @Test("line: one point per minute with a value, runs of minutes joined by a polyline and broken where a minute has none; the peak at the top")
    func lineBreaksAtGaps() {
        var values = [Double?](repeating: nil, count: 60)
        for i in [5, 6, 7, 30, 50, 51] { values[i] = Double(i) }
        values[7] = 100
        let html = SparklineSVG.render(SparklineSVG(values, labels: Self.labels(60), title: "p99", style: .line))
        let tags = HTMLTags.parse(html)
        let dots = tags.filter { $0.name == "circle" }, lines = tags.filter { $0.name == "polyline" }
        #expect(dots.count == 6)
        #expect(lines.map { $0.attributes["points"]! } == ["22,38.1 26,37.7 30,2", "202,21 206,20.6"], "minute 30 alone is a point, not a line")
        #expect(dots.first { $0.attributes["cx"].flatMap(Double.init) == 30 }?.attributes["cy"].flatMap(Double.init) == 2)
        #expect(!tags.contains { $0.name == "rect" })
    }

    @Test("an empty hour is an empty chart — its frame and baseline, no bar, no point — not an error")
    func emptyHour() {
        for style in [SparklineSVG.Style.bars, .line] {
            let values: [Double?] = style == .bars ? Self.minutes([:]) : Array(repeating: nil, count: 60)
            let html = SparklineSVG.render(SparklineSVG(values, labels: Self.labels(60), title: "nothing", style: style))
            let names = HTMLTags.parse(html).map(\.name)
            #expect(names.filter { $0 == "svg" }.count == 1 && names.contains("line") && html.hasSuffix("</svg>"))
            #expect(!names.contains("rect") && !names.contains("circle") && !names.contains("polyline"), "\(style)")
        }
    }

    @Test("text in a chart is escaped by scalar: a hostile entity name in the title or a label adds no element or attribute, and there is no script")
    func escapesText() throws {
        let hostile = #"<script>alert("x")</script>"# + "\"\u{301} onload=alert(1) x=\"" + "{{title}}"
        var labels = Self.labels(60)
        labels[1] = hostile
        let html = SparklineSVG.render(SparklineSVG(Self.minutes([1: 2]), labels: labels, title: hostile, style: .bars))
        #expect(!html.contains("<script") && html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        #expect(html.contains("&#123;&#123;title&#125;&#125;"), "braces cannot open a template tag")
        let tags = HTMLTags.parse(html)
        #expect(Set(tags.map(\.name)) == ["svg", "title", "line", "g", "rect"], "\(tags.map(\.name))")
        #expect(!tags.contains { $0.attributes.keys.contains { $0.hasPrefix("on") } })
        let svg = try #require(tags.first)
        #expect(Set(svg.attributes.keys) == ["class", "xmlns", "width", "height", "viewbox", "role"])
    }

    @Test("the latency window: each minute's p99 is the bound of the bucket that holds the 99th percentile, within 9 % above it")
    func latencyP99() throws {
        let window = UpstreamLatencyWindow(since: Date(timeIntervalSince1970: 0))
        let minute = Date(timeIntervalSince1970: 600 * 60 + 5)
        for ms in 1...100 { window.record(mchID: "1900000109", duration: .milliseconds(ms), at: minute) }
        window.record(mchID: "1900000109", duration: .milliseconds(3), at: minute.addingTimeInterval(60))
        let series = window.series(mchID: "1900000109", window: 599...601)
        #expect(series.count == 3 && series[0] == nil)
        let busy = try #require(series[1])
        #expect(busy.calls == 100 && busy.p99Milliseconds >= 99 && busy.p99Milliseconds < 99 * 1.091, "\(busy)")
        let quiet = try #require(series[2])
        #expect(quiet.calls == 1 && quiet.p99Milliseconds >= 3 && quiet.p99Milliseconds < 3 * 1.091)
        #expect(window.series(mchID: "1900000110", window: 599...601) == [nil, nil, nil], "another merchant number's calls are its own")
    }

    @Test("the latency window keeps one hour: a minute an hour later takes the same slot and starts from zero; older minutes read as none")
    func latencyWindowRolls() throws {
        let window = UpstreamLatencyWindow(since: Date(timeIntervalSince1970: 0))
        let at = Date(timeIntervalSince1970: 1_000 * 60)
        window.record(mchID: "m", duration: .seconds(2), at: at)
        window.record(mchID: "m", duration: .milliseconds(20), at: at.addingTimeInterval(3600))
        #expect(window.series(mchID: "m", window: 1_000...1_000) == [nil], "overwritten by the minute an hour later")
        let later = try #require(window.series(mchID: "m", window: 1_060...1_060).first ?? nil)
        #expect(later.calls == 1 && later.p99Milliseconds < 22, "the 2 s call of an hour ago is not in it")
        window.record(mchID: "m", duration: .seconds(5), at: at)
        #expect(window.series(mchID: "m", window: 1_060...1_060).first??.calls == 1, "a call dated an hour back (a clock step) is dropped, not mixed in")
    }

    @Test("the section: a row per entity in merchants.d order, then entities with payouts that left merchants.d; figures in words; empty charts with a note")
    func section() throws {
        let now: Int64 = 29_000_000
        let sends = SendsPerMinute(currentMinute: now, counts: ["acme": [now: 2, now - 3: 5, now - 59: 1, now - 60: 100], "gone": [now - 1: 1]])
        let latency = UpstreamLatencyWindow(since: Date(timeIntervalSince1970: 0))
        latency.record(mchID: "1900000109", duration: .milliseconds(40), at: Date(timeIntervalSince1970: TimeInterval(now - 2) * 60))
        let hour = AdminViews.lastHour(entities: [("acme", "1900000109"), ("beta", "1900000110")], sends: sends, latency: latency)
        #expect(hour.rows.map(\.name) == ["acme", "beta", "gone"] && hour.rows.map(\.listed) == [true, true, false])
        #expect(hour.latencySince == nil, "counting since long before the hour")
        let acme = hour.rows[0], beta = hour.rows[1]
        #expect(sends.series("acme").reduce(0, +) == 8, "the minute before the window is not in it")
        #expect(acme.sends.bars.count == 3 && acme.sendsText == "this minute 2 · peak 5/min at \(AdminViews.clock(now - 3)) UTC · 8 in the hour")
        #expect(acme.latency.dots.count == 1 && acme.latencyText.hasSuffix("· 1 call in the hour") && acme.latencyText.hasPrefix("latest 4"))
        #expect(acme.sends.title.hasPrefix("acme (mch_id 1900000109): payouts per minute, \(AdminViews.clock(now - 59))–\(AdminViews.clock(now)) UTC."))
        #expect(beta.sends.bars.isEmpty && beta.sendsText == "No payouts in the last hour.")
        #expect(beta.latency.dots.isEmpty && beta.latencyText == "No call to WeChat from this instance in the last hour.")
        #expect(AdminViews.clock(0) == "00:00" && AdminViews.clock(1439) == "23:59" && AdminViews.clock(1441) == "00:01")
        let fresh = AdminViews.lastHour(entities: [], sends: sends, latency: UpstreamLatencyWindow(since: Date(timeIntervalSince1970: TimeInterval(now - 10) * 60)))
        #expect(fresh.latencySince != nil, "an instance up for less than the hour says since when it counts")
    }
}
