/// Draws question-benchmark results as an SVG heatmap: one panel per system, length across, task
/// down, accuracy as colour (the pass-key heatmap's scale); a cell's tooltip adds precision and
/// abstention.
public enum QAHeatmap {
    public static func svg(_ rows: [QABenchmark.Row], title: String) -> String {
        var systems: [String] = []
        var tasks: [String] = []
        for row in rows {
            if !systems.contains(row.system) { systems.append(row.system) }
            if !tasks.contains(row.task) { tasks.append(row.task) }
        }
        let lengths = Array(Set(rows.map(\.length))).sorted()
        let box = 44
        let left = 84
        let top = 48
        let panelWidth = left + box * max(lengths.count, 1) + 24
        let panelHeight = top + box * max(tasks.count, 1) + 40
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(panelWidth * max(systems.count, 1))" height="\(panelHeight + 24)" \
            font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="8" y="16" font-size="14" font-weight="bold">\(PasskeyHeatmap.escape(title))</text>

            """
        for (panel, system) in systems.enumerated() {
            let x0 = panel * panelWidth
            svg += "<text x=\"\(x0 + left)\" y=\"\(top - 14)\" font-weight=\"bold\">\(PasskeyHeatmap.escape(system))</text>\n"
            for (line, task) in tasks.enumerated() {
                svg += "<text x=\"\(x0 + left - 6)\" y=\"\(top + line * box + box / 2 + 4)\" text-anchor=\"end\">\(PasskeyHeatmap.escape(task))</text>\n"
                for (column, length) in lengths.enumerated() {
                    guard let row = rows.first(where: { $0.system == system && $0.task == task && $0.length == length }) else { continue }
                    let x = x0 + left + column * box
                    let y = top + line * box
                    var tip = "\(system) \(task) \(PasskeyHeatmap.lengthLabel(length)) tokens: accuracy \(PasskeyHeatmap.percent(row.accuracy))"
                    if let precision = row.precision { tip += ", precision \(PasskeyHeatmap.percent(precision))" }
                    if let abstained = row.abstainedUnanswerable { tip += ", unanswerable abstained \(PasskeyHeatmap.percent(abstained))" }
                    svg += PasskeyHeatmap.cell(x: x, y: y, box: box, accuracy: row.accuracy, tip: tip)
                }
            }
            for (column, length) in lengths.enumerated() {
                let x = x0 + left + column * box + box / 2 - 1
                svg += "<text x=\"\(x)\" y=\"\(top + tasks.count * box + 14)\" text-anchor=\"middle\">\(PasskeyHeatmap.lengthLabel(length))</text>\n"
            }
            svg += "<text x=\"\(x0 + left)\" y=\"\(top + tasks.count * box + 32)\">tokens</text>\n"
        }
        return svg + "</svg>\n"
    }
}
