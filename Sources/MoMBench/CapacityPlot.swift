import Foundation

/// Draws `bench capacity` as an SVG: accuracy against tokens (one line per system and size), and
/// bytes against tokens (each state's fixed size, the baseline's growing one, and the text's
/// LZ4-compressed size for reference), both on a log-2 token axis.
public enum CapacityPlot {
    /// - Parameter textBytes: LZ4-compressed bytes of the haystack at each length.
    public static func svg(_ rows: [CapacityBenchmark.Row], textBytes: [Int: Int], title: String) -> String {
        let lengths = Array(Set(rows.map(\.length))).sorted()
        guard let first = lengths.first, let last = lengths.last else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n" }
        let panel = (width: 420.0, height: 260.0)
        let margin = (left: 64.0, top: 40.0, gap: 90.0)
        let width = Int(margin.left * 2 + panel.width * 2 + margin.gap + 150)
        let height = Int(margin.top + panel.height + 70)
        let span = max(log2(Double(last)) - log2(Double(first)), 1)
        func x(_ length: Int, panel index: Int) -> Double {
            margin.left + Double(index) * (panel.width + margin.gap) + (log2(Double(length)) - log2(Double(first))) / span * panel.width
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="8" y="18" font-size="14" font-weight="bold">\(PasskeyHeatmap.escape(title))</text>

            """
        // Series: one per system and size.
        struct Series {
            var label: String
            var colour: String
            var dashed: Bool
            var points: [(length: Int, accuracy: Double, bytes: Int)]
        }
        let palette = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
        let sizes = Array(Set(rows.filter { $0.system != "full-context" }.map(\.stateMiB))).sorted()
        var series: [Series] = []
        for (index, size) in sizes.enumerated() {
            for system in ["mom", "delta-single"] {
                let points = rows.filter { $0.system == system && $0.stateMiB == size }.sorted { $0.length < $1.length }
                    .map { ($0.length, $0.accuracy, $0.stateBytes) }
                guard !points.isEmpty else { continue }
                series.append(Series(
                    label: "\(system) \(Int(size)) MiB", colour: palette[index % palette.count], dashed: system != "mom",
                    points: points))
            }
        }
        let baseline = rows.filter { $0.system == "full-context" }.sorted { $0.length < $1.length }
        if !baseline.isEmpty {
            series.append(Series(
                label: "full-context", colour: "#555555", dashed: false, points: baseline.map { ($0.length, $0.accuracy, $0.stateBytes) }))
        }

        // Panel 1: accuracy.
        let top = margin.top
        let bottom = top + panel.height
        func yAccuracy(_ accuracy: Double) -> Double { bottom - accuracy * panel.height }
        svg += frame(panel: 0, title: "accuracy (prose pass-key)")
        for level in [0.0, 0.5, 0.95, 1.0] {
            let y = yAccuracy(level)
            svg += "<line x1=\"\(margin.left)\" y1=\"\(y)\" x2=\"\(margin.left + panel.width)\" y2=\"\(y)\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(margin.left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(Int(level * 100))%</text>\n"
        }
        for line in series {
            let points = line.points.map { "\(x($0.length, panel: 0)),\(yAccuracy($0.accuracy))" }.joined(separator: " ")
            svg += polyline(points, colour: line.colour, dashed: line.dashed, tip: line.label)
        }

        // Panel 2: bytes, log scale.
        let allBytes = series.flatMap { $0.points.map(\.bytes) } + Array(textBytes.values)
        let low = log2(Double(max(allBytes.min() ?? 1, 1)))
        let high = max(log2(Double(max(allBytes.max() ?? 2, 2))), low + 1)
        func yBytes(_ bytes: Int) -> Double { bottom - (log2(Double(max(bytes, 1))) - low) / (high - low) * panel.height }
        svg += frame(panel: 1, title: "bytes kept")
        var tick = 1 << Int(low.rounded(.up))
        while Double(tick) <= pow(2, high) {
            let y = yBytes(tick)
            let x0 = margin.left + panel.width + margin.gap
            svg += "<line x1=\"\(x0)\" y1=\"\(y)\" x2=\"\(x0 + panel.width)\" y2=\"\(y)\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(x0 - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(PasskeyHeatmap.byteLabel(tick))</text>\n"
            tick *= 4
        }
        for line in series where !line.dashed {
            let points = line.points.map { "\(x($0.length, panel: 1)),\(yBytes($0.bytes))" }.joined(separator: " ")
            svg += polyline(points, colour: line.colour, dashed: false, tip: line.label)
        }
        let text = textBytes.keys.sorted().map { "\(x($0, panel: 1)),\(yBytes(textBytes[$0]!))" }.joined(separator: " ")
        if !text.isEmpty { svg += polyline(text, colour: "#999999", dashed: true, tip: "the text, LZ4-compressed") }

        // Axes and legend.
        for index in 0..<2 {
            for length in lengths {
                svg += "<text x=\"\(x(length, panel: index))\" y=\"\(bottom + 16)\" text-anchor=\"middle\">\(PasskeyHeatmap.lengthLabel(length))</text>\n"
            }
            svg += "<text x=\"\(x(first, panel: index))\" y=\"\(bottom + 34)\">tokens →</text>\n"
        }
        var legendY = top + 6
        let legendX = margin.left * 2 + panel.width * 2 + margin.gap - 40
        for line in series + [Series(label: "text, LZ4 (bytes panel)", colour: "#999999", dashed: true, points: [])] {
            let dash = line.dashed ? " stroke-dasharray=\"5,3\"" : ""
            svg += "<line x1=\"\(legendX)\" y1=\"\(legendY)\" x2=\"\(legendX + 22)\" y2=\"\(legendY)\" stroke=\"\(line.colour)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(legendX + 28)\" y=\"\(legendY + 4)\">\(PasskeyHeatmap.escape(line.label))</text>\n"
            legendY += 16
        }
        svg += "</svg>\n"
        return svg

        func frame(panel index: Int, title: String) -> String {
            let x0 = margin.left + Double(index) * (panel.width + margin.gap)
            return "<rect x=\"\(x0)\" y=\"\(top)\" width=\"\(panel.width)\" height=\"\(panel.height)\" fill=\"none\" stroke=\"#999\"/>\n"
                + "<text x=\"\(x0)\" y=\"\(top - 8)\" font-weight=\"bold\">\(title)</text>\n"
        }
    }

    static func polyline(_ points: String, colour: String, dashed: Bool, tip: String) -> String {
        let dash = dashed ? " stroke-dasharray=\"5,3\"" : ""
        return "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)><title>\(PasskeyHeatmap.escape(tip))</title></polyline>\n"
    }
}
