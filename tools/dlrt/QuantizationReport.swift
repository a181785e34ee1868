// `dlrt convert --weights int8 --report` and `dlrt inspect` on an int8 file: per quantized layer
// the weight scale range, the relative error the int8 weights introduce, and the bytes saved.
import DLRTModel
import DLRTONNX

func int8ReportLines(_ layers: [Int8LayerReport]) -> [String] {
    guard !layers.isEmpty else { return [] }
    func sci(_ v: Double) -> String {
        guard v > 0 else { return "0" }
        var e = 0, m = v
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return formatFixed(m, 2) + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
    }
    func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        s.count >= n ? s : (left ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
    }
    let width = min(40, max(4, layers.map(\.node.count).max() ?? 4))
    var lines = ["int8 layers (weights symmetric per output channel):",
                 "  " + pad("node", width) + "  " + pad("op", 6) + "  " + pad("weight shape", 16) + "  "
                     + pad("scale min … max", 21) + "  " + pad("rel. error", 10, left: true) + "  " + pad("bytes f32 → int8", 20, left: true)]
    for l in layers {
        let name = l.node.count > width ? String(l.node.prefix(width - 1)) + "…" : l.node
        let bytes = l.bytesBefore == 0 ? "(shared)" : "\(l.bytesBefore) → \(l.bytesAfter)"
        lines.append("  " + pad(name, width) + "  " + pad(l.op, 6) + "  " + pad(describe(l.shape), 16) + "  "
                     + pad(sci(Double(l.scaleMin)) + " … " + sci(Double(l.scaleMax)), 21) + "  "
                     + pad(sci(l.relativeError), 10, left: true) + "  " + pad(bytes, 20, left: true))
    }
    let before = layers.reduce(0) { $0 + $1.bytesBefore }, after = layers.reduce(0) { $0 + $1.bytesAfter }
    let worst = layers.max { $0.relativeError < $1.relativeError }
    lines.append("  total: \(layers.count) layers, weights \(before) → \(after) bytes"
                 + (worst.map { "; largest relative error \(sci($0.relativeError)) in '\($0.node)'" } ?? ""))
    return lines
}
