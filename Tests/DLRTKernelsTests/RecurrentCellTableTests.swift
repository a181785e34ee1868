import DLRTKernels
import DLRTKernelsCore
import Glibc
import XCTest

/// The `recurrentCell` entry of every kernel table this CPU runs against the scalar equations
/// (ONNX LSTM i, o, f, c with Sigmoid / Tanh / Tanh; GRU z, r, h with linear_before_reset = 1),
/// hidden sizes 1…67, with and without clip, saturated inputs included.
final class RecurrentCellTableTests: XCTestCase {
    func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    func testAgainstScalarEquations() {
        var rng = TestRNG(seed: 41)
        for table in KernelTable.available {
            for gru in [false, true] {
                for hidden in [1, 2, 7, 8, 15, 16, 17, 31, 33, 64, 67] {
                    for clip: Float in [.infinity, 1.5] {
                        let g = gru ? 3 : 4
                        let range: Float = hidden == 33 ? 60 : 4  // one size saturates every gate
                        let xw = rng.floats(g * hidden, -range, range), pre = rng.floats(g * hidden, -range, range)
                        let c0 = rng.floats(hidden, -2, 2), h0 = rng.floats(hidden, -1, 1)
                        var c = c0, h = h0
                        xw.withUnsafeBufferPointer { xp in pre.withUnsafeBufferPointer { pp in
                            c.withUnsafeMutableBufferPointer { cp in h.withUnsafeMutableBufferPointer { hp in
                                var args = RecurrentCellArgs(gru: gru, hidden: hidden, clip: clip, xw: xp.baseAddress!,
                                                             pre: pp.baseAddress!, c: cp.baseAddress!, h: hp.baseAddress!)
                                withUnsafePointer(to: &args) { table.recurrentCell(UnsafeRawPointer($0)) }
                            } }
                        } }
                        func gate(_ k: Int, _ j: Int) -> Float { min(max(xw[k * hidden + j] + pre[k * hidden + j], -clip), clip) }
                        var wantC = c0, wantH = h0
                        for j in 0 ..< hidden {
                            if gru {
                                let z = sigmoid(gate(0, j)), r = sigmoid(gate(1, j))
                                let hh = tanhf(min(max(xw[2 * hidden + j] + r * pre[2 * hidden + j], -clip), clip))
                                wantH[j] = (1 - z) * hh + z * h0[j]
                            } else {
                                let i = sigmoid(gate(0, j)), o = sigmoid(gate(1, j)), f = sigmoid(gate(2, j)), cc = tanhf(gate(3, j))
                                wantC[j] = f * c0[j] + i * cc
                                wantH[j] = o * tanhf(wantC[j])
                            }
                        }
                        let what = "\(table.isa.name) gru=\(gru) hidden=\(hidden) clip=\(clip)"
                        assertClose(h, wantH, tol: 1e-6, "\(what): h")
                        if !gru { assertClose(c, wantC, tol: 1e-6, "\(what): c") } else { XCTAssertEqual(c, c0, "\(what): c untouched") }
                    }
                }
            }
        }
    }
}
