@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// LSTM / GRU / RNN runtime operators: what a hostile or inconsistent `.dlrt` node gets (a clear
/// error naming node, op and attribute — never a trap), and a run through Plan + Context against
/// the reference.
final class RecurrentOperatorTests: XCTestCase {
    let seq = 3, batch = 2, input = 5, hidden = 4

    /// An LSTM graph: X input, constant W, R (and B), outputs Y, Y_h.
    func lstmGraph(_ attrs: [String: AttributeValue], wShape: [Int]? = nil, gates: Int = 4,
                   op: OpCode = .lstm, extraInputs: [Int32] = []) -> (Graph, [Float], [Float], [Float]) {
        var b = DenseGraphBuilder()
        let x = b.input([seq, batch, input])
        let ws = wShape ?? [1, gates * hidden, input]
        let w = denseRandom(ws.reduce(1, *), seed: 1).map { $0 * 0.5 }
        let r = denseRandom(gates * hidden * hidden, seed: 2).map { $0 * 0.5 }
        let bias = denseRandom(2 * gates * hidden, seed: 3).map { $0 * 0.1 }
        let wid = b.constant(w, ws), rid = b.constant(r, [1, gates * hidden, hidden]), bid = b.constant(bias, [1, 2 * gates * hidden])
        let y = b.graph.addTensor(Tensor(name: "y", dtype: .float32, shape: [.fixed(seq), .fixed(1), .fixed(batch), .fixed(hidden)]))
        let yh = b.graph.addTensor(Tensor(name: "yh", dtype: .float32, shape: [.fixed(1), .fixed(batch), .fixed(hidden)]))
        b.graph.nodes.append(Node(name: "rec", op: op, inputs: [x, wid, rid, bid] + extraInputs, outputs: [y, yh], attributes: attrs))
        b.graph.outputs = [y, yh]
        return (b.graph, w, r, bias)
    }

    func expectError(_ g: Graph, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            let model = try CompiledModel(graph: g)
            _ = try Context(model: model, options: Context.Options())
            XCTFail("expected an error containing \(needles)", file: file, line: line)
        } catch let e as ModelError {
            for s in needles { XCTAssertTrue(e.message.contains(s), "'\(s)' not in: \(e.message)", file: file, line: line) }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testInvalidNodesAreRefused() {
        expectError(lstmGraph([:]).0, ["'rec'", "LSTM", "hidden_size"])
        expectError(lstmGraph(["hidden_size": .int(5)]).0, ["'rec'", "W", "shape"])
        expectError(lstmGraph(["hidden_size": .int(4), "direction": .string("sideways")]).0, ["direction", "sideways"])
        expectError(lstmGraph(["hidden_size": .int(4), "layout": .int(2)]).0, ["layout"])
        expectError(lstmGraph(["hidden_size": .int(4), "clip": .float(-1)]).0, ["clip"])
        expectError(lstmGraph(["hidden_size": .int(4), "clip": .float(.nan)]).0, ["clip"])
        expectError(lstmGraph(["hidden_size": .int(4), "activations": .ints([0, 1])]).0, ["activations", "3"])
        expectError(lstmGraph(["hidden_size": .int(4), "activations": .ints([0, 1, 7])]).0, ["activations", "7"])
        expectError(lstmGraph(["hidden_size": .int(4), "input_forget": .int(3)]).0, ["input_forget"])
        expectError(lstmGraph(["hidden_size": .int(4), "direction": .string("bidirectional")]).0, ["W", "shape"])
        expectError(lstmGraph(["hidden_size": .int(1 << 40)]).0, ["hidden_size"])
        expectError(lstmGraph(["hidden_size": .int(4)], wShape: [1, 16, 6]).0, ["X", "input features"])
        expectError(lstmGraph(["hidden_size": .int(4)], gates: 3, op: .gru, extraInputs: [-1, -1, -1]).0, ["GRU", "inputs"])
        // W as a graph input of unknown shape (a fixed-shape one is packed per run)
        var (g, _, _, _) = lstmGraph(["hidden_size": .int(4)])
        let w = g.addTensor(Tensor(name: "w_in", dtype: .float32, shape: [.fixed(1), .fixed(16), .symbolic("i")]))
        g.inputs.append(w)
        g.nodes[0].inputs[1] = w
        expectError(g, ["'rec'", "W", "not fixed"])
    }

    func testLSTMRunMatchesReference() throws {
        for (kind, op, gates) in [(RecurrentCellKind.lstm, OpCode.lstm, 4), (.gru, .gru, 3), (.rnn, .rnn, 1)] {
            var attrs: [String: AttributeValue] = ["hidden_size": .int(Int64(hidden)), "direction": .string("reverse")]
            if kind == .gru { attrs["linear_before_reset"] = .int(1) }
            let (g, w, r, bias) = lstmGraph(attrs, gates: gates, op: op)
            let x = denseRandom(seq * batch * input, seed: 9)
            let (got, shape) = try denseRun(g, [x])
            XCTAssertEqual(shape, [seq, 1, batch, hidden])
            let cfg = RecurrentConfig(kind: kind, seq: seq, batch: batch, input: input, hidden: hidden, reverse: true,
                                      linearBeforeReset: kind == .gru)
            var want = [Float](repeating: .nan, count: seq * batch * hidden)
            x.withUnsafeBufferPointer { xp in
                want.withUnsafeMutableBufferPointer { yp in
                    recurrentReference(cfg, RecurrentReferenceWeights(w: w, r: r, b: bias), RecurrentIO(x: xp.baseAddress!, y: yp.baseAddress))
                }
            }
            denseAssertClose(got, want, tol: 1e-5)
        }
    }
}
