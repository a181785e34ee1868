/// Reference QuantizedGather (op 118): out[i, :] = Float(table[k, :]) · scales[k] with
/// k = indices[i] (+ rowCount when negative); zeros when k is out of range.
public func referenceQuantizedGather(table: [Int8], scales: [Float], rowCount: Int, width: Int, indices: [Int64]) -> [Float] {
    var out: [Float] = []
    for i in indices {
        let k = i < 0 ? i + Int64(rowCount) : i
        if k < 0 || k >= Int64(rowCount) {
            out += [Float](repeating: 0, count: width)
        } else {
            for j in 0 ..< width { out.append(Float(table[Int(k) * width + j]) * scales[Int(k)]) }
        }
    }
    return out
}
