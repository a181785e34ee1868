import DLRTKernels
import XCTest

/// The fast recurrent kernel (`recurrentRun`) against `recurrentReference` over odd sizes, every
/// direction and layout, with and without B, initial states, peepholes, clip, sequence lengths.
final class RecurrentKernelTests: XCTestCase {
    /// Runs both on random data; outputs start NaN-filled so any unwritten element fails.
    func check(_ cfg: RecurrentConfig, bias: Bool, initial: Bool, peep: Bool, seqLens: [Int32]?, seed: UInt64,
               xRange: Float = 2, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let gw = cfg.gateWidth, dirs = cfg.directions
        let x = rng.floats(cfg.seq * cfg.batch * cfg.input, -xRange, xRange)
        // Well-conditioned pre-activations (like trained weights): scale 1/√fan-in, at most 0.6.
        let s = min(0.6, 2 / Float(cfg.input + cfg.hidden).squareRoot())
        let w = rng.floats(dirs * gw * cfg.input, -s, s)
        let r = rng.floats(dirs * gw * cfg.hidden, -s, s)
        let b = bias ? rng.floats(dirs * 2 * gw) : nil
        let p = peep ? rng.floats(dirs * 3 * cfg.hidden) : nil
        let stateCount = dirs * cfg.batch * cfg.hidden
        let ih = initial ? rng.floats(stateCount) : nil
        let ic = initial ? rng.floats(stateCount) : nil
        let yCount = cfg.seq * dirs * cfg.batch * cfg.hidden
        let what = "\(cfg) bias=\(bias) initial=\(initial) peep=\(peep) lens=\(seqLens.map(\.description) ?? "-")"

        func run(fast: Bool) -> (y: [Float], yh: [Float], yc: [Float]) {
            var y = [Float](repeating: .nan, count: yCount)
            var yh = [Float](repeating: .nan, count: stateCount)
            var yc = [Float](repeating: .nan, count: stateCount)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    yh.withUnsafeMutableBufferPointer { yhp in
                        yc.withUnsafeMutableBufferPointer { ycp in
                            withOptional(ih) { ihp in
                                withOptional(ic) { icp in
                                    withOptional(seqLens) { lp in
                                        let io = RecurrentIO(x: xp.baseAddress!, seqLens: lp, initialH: ihp, initialC: icp,
                                                             y: yp.baseAddress, yh: yhp.baseAddress,
                                                             yc: cfg.kind == .lstm ? ycp.baseAddress : nil)
                                        if fast {
                                            let weights = w.withUnsafeBufferPointer { wp in
                                                r.withUnsafeBufferPointer { rp in
                                                    withOptional(b) { bp in
                                                        withOptional(p) { pp in
                                                            RecurrentWeights(kind: cfg.kind, input: cfg.input, hidden: cfg.hidden,
                                                                             directions: dirs, linearBeforeReset: cfg.linearBeforeReset,
                                                                             w: wp.baseAddress!, r: rp.baseAddress!, b: bp, p: pp)
                                                        }
                                                    }
                                                }
                                            }
                                            let n = RecurrentWorkspace(cfg).floatCount
                                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n + 16)
                                            scratch.initialize(repeating: .nan, count: n + 16)
                                            recurrentRun(cfg, weights, io, scratch: scratch)
                                            scratch.deallocate()
                                        } else {
                                            recurrentReference(cfg, RecurrentReferenceWeights(w: w, r: r, b: b, p: p), io)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (y, yh, cfg.kind == .lstm ? yc : [])
        }
        let want = run(fast: false), got = run(fast: true)
        // Relu is unbounded: rounding differences of the two summation orders grow with the steps.
        let tol: Float = cfg.activations.contains(.relu) ? 1e-4 : 2e-5
        XCTAssertFalse(want.y.contains { $0.isNaN }, "\(what): reference left NaN in Y", file: file, line: line)
        assertClose(got.y, want.y, tol: tol, "\(what): Y", file: file, line: line)
        assertClose(got.yh, want.yh, tol: tol, "\(what): Y_h", file: file, line: line)
        assertClose(got.yc, want.yc, tol: tol, "\(what): Y_c", file: file, line: line)
    }

    func sweep(_ kind: RecurrentCellKind, count: Int, seed: UInt64) {
        var rng = TestRNG(seed: seed)
        let hiddens = [1, 3, 7, 8, 9, 16, 17, 33, 67], inputs = [1, 2, 5, 8, 13, 31, 67]
        for k in 0 ..< count {
            let dirs = rng.int(1 ... 2)
            let hidden = hiddens[rng.int(0 ... hiddens.count - 1)], input = inputs[rng.int(0 ... inputs.count - 1)]
            let seq = rng.int(1 ... 9), batch = rng.int(1 ... 5)
            var acts: [RecurrentActivation]? = nil
            if k % 5 == 4 {
                acts = (0 ..< dirs * kind.activationCount).map { _ in RecurrentActivation.allCases[rng.int(0 ... 2)] }
            }
            let cfg = RecurrentConfig(kind: kind, seq: seq, batch: batch, input: input, hidden: hidden, directions: dirs,
                                      reverse: dirs == 1 && k % 3 == 1, batchFirst: k % 4 >= 2,
                                      clip: k % 7 == 3 ? 0.7 : nil, inputForget: kind == .lstm && k % 6 == 5,
                                      linearBeforeReset: k % 2 == 0, activations: acts)
            let lens: [Int32]? = k % 8 == 7 ? (0 ..< batch).map { _ in Int32(rng.int(0 ... seq)) } : nil
            check(cfg, bias: k % 3 != 2, initial: k % 2 == 1, peep: kind == .lstm && k % 4 != 0, seqLens: lens, seed: UInt64(k) + seed)
        }
    }

    func testLSTM() { sweep(.lstm, count: 60, seed: 11) }
    func testGRU() { sweep(.gru, count: 60, seed: 22) }
    func testRNN() { sweep(.rnn, count: 40, seed: 33) }

    /// Saturated gates: pre-activations of ±100s (exp clamping, sigmoid → 0 / 1, tanh → ±1).
    func testSaturation() {
        for kind in [RecurrentCellKind.lstm, .gru, .rnn] {
            for lbr in [false, true] {
                check(RecurrentConfig(kind: kind, seq: 4, batch: 3, input: 9, hidden: 11, directions: 2, clip: lbr ? nil : 50,
                                      linearBeforeReset: lbr),
                      bias: true, initial: true, peep: kind == .lstm, seqLens: nil, seed: 8, xRange: 300)
            }
        }
    }

    /// Every small shape corner with default attributes.
    func testEdgeSizes() {
        for kind in [RecurrentCellKind.lstm, .gru, .rnn] {
            for (seq, batch, input, hidden) in [(1, 1, 1, 1), (9, 5, 67, 67), (2, 4, 1, 8), (3, 5, 16, 1), (1, 6, 3, 5), (2, 3, 0, 4), (7, 1, 300, 300)] {
                for dirs in 1 ... 2 {
                    check(RecurrentConfig(kind: kind, seq: seq, batch: batch, input: input, hidden: hidden, directions: dirs,
                                          linearBeforeReset: true),
                          bias: true, initial: true, peep: kind == .lstm, seqLens: nil, seed: 5)
                }
            }
        }
    }
}

/// Calls `body` with the array's base address, or nil when the array is absent.
func withOptional<T, R>(_ a: [T]?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
