import MoMCore

/// Draws pass-key results as an SVG heatmap: one panel per system, length across, depth down,
/// accuracy as colour from red (0) through amber (0.5) to green (1).
public enum PasskeyHeatmap {
    public static func svg(_ cells: [PasskeyBenchmark.Cell], title: String = "Pass-key retrieval") -> String {
        var systems: [String] = []
        for cell in cells where !systems.contains(cell.system) { systems.append(cell.system) }
        let lengths = Array(Set(cells.map(\.length))).sorted()
        let depths = Array(Set(cells.map(\.depth))).sorted()
        let box = 44
        let left = 56
        let top = 48
        let panelWidth = left + box * max(lengths.count, 1) + 24
        let panelHeight = top + box * max(depths.count, 1) + 72
        let width = panelWidth * max(systems.count, 1)
        let height = panelHeight + 24
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="8" y="16" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        for (panel, system) in systems.enumerated() {
            let x0 = panel * panelWidth
            let systemCells = cells.filter { $0.system == system }
            let bytes = systemCells.map(\.stateBytes).max() ?? 0
            svg += "<text x=\"\(x0 + left)\" y=\"\(top - 14)\" font-weight=\"bold\">\(escape(system))</text>\n"
            for (row, depth) in depths.enumerated() {
                svg += "<text x=\"\(x0 + left - 6)\" y=\"\(top + row * box + box / 2 + 4)\" text-anchor=\"end\">\(depth)%</text>\n"
                for (column, length) in lengths.enumerated() {
                    let x = x0 + left + column * box
                    let y = top + row * box
                    if let cell = systemCells.first(where: { $0.length == length && $0.depth == depth }) {
                        svg += self.cell(
                            x: x, y: y, box: box, accuracy: cell.accuracy,
                            tip: "\(system) \(lengthLabel(length)) tokens, depth \(depth)%: accuracy \(percent(cell.accuracy))")
                    }
                }
            }
            for (column, length) in lengths.enumerated() {
                let x = x0 + left + column * box + box / 2 - 1
                svg += "<text x=\"\(x)\" y=\"\(top + depths.count * box + 14)\" text-anchor=\"middle\">\(lengthLabel(length))</text>\n"
            }
            svg += "<text x=\"\(x0 + left)\" y=\"\(top + depths.count * box + 32)\">tokens → (max state \(byteLabel(bytes)))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Red → amber → green.
    /// One accuracy cell: a coloured square with its tooltip and its percentage.
    static func cell(x: Int, y: Int, box: Int, accuracy: Double, tip: String) -> String {
        "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(box - 2)\" height=\"\(box - 2)\" fill=\"\(colour(accuracy))\">"
            + "<title>\(escape(tip))</title></rect>\n"
            + "<text x=\"\(x + box / 2 - 1)\" y=\"\(y + box / 2 + 3)\" text-anchor=\"middle\">\(percent(accuracy))</text>\n"
    }

    static func colour(_ accuracy: Double) -> String {
        let a = min(max(accuracy, 0), 1)
        let (r, g, b): (Double, Double, Double) =
            a < 0.5
            ? (220, 50 + (191 - 50) * a * 2, 40)
            : (220 - (220 - 46) * (a - 0.5) * 2, 191 - (191 - 160) * (a - 0.5) * 2, 40 + (80 - 40) * (a - 0.5) * 2)
        func hex(_ value: Double) -> String {
            let text = String(Int(value.rounded()), radix: 16)
            return text.count == 1 ? "0" + text : text
        }
        return "#" + hex(r) + hex(g) + hex(b)
    }

    static func percent(_ accuracy: Double) -> String { "\(Int((accuracy * 100).rounded()))%" }

    public static func lengthLabel(_ length: Int) -> String {
        if length % (1 << 20) == 0 { return "\(length >> 20)M" }
        if length % (1 << 10) == 0 { return "\(length >> 10)K" }
        return "\(length)"
    }

    public static func byteLabel(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return "\(Double(bytes * 10 / (1 << 20)) / 10) MiB" }
        if bytes >= 1 << 10 { return "\(Double(bytes * 10 / (1 << 10)) / 10) KiB" }
        return "\(bytes) B"
    }

    static func escape(_ text: String) -> String {
        text.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;").replacingAll(">", with: "&gt;")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
