import DLRTKernels
import DLRTModel

/// Shared by MaxPool and AveragePool: the window geometry and the shape rule.
struct DensePoolGeometry: Sendable {
    let node: Node
    let geometry: ConvGeometry

    init(node: Node, allowDilations: Bool) throws {
        try DenseAttributes(node).checkArity(inputs: 1)
        self.node = node
        geometry = try ConvGeometry(node: node, kernelFromWeights: nil, allowCeilMode: true, allowDilations: allowDilations)
    }

    func shape(_ inputs: [PlanInput]) throws -> (Pool2DShape, [Int]) {
        let a = DenseAttributes(node)
        let x = try denseFloatInput(inputs, 0, "X", a)
        let r = geometry.rank
        guard x.count == r + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(r + 2) for kernel_shape \(describe(geometry.kernel))",
                          kind: .shape)
        }
        let spatial = Array(x[2...])
        let (out, pads) = try geometry.resolve(spatial, node: node)
        let g = geometry
        var s = Pool2DShape()
        s.planes = x[0] * x[1]
        s.inH = g.axis2D(spatial, h: true); s.inW = g.axis2D(spatial, h: false)
        s.outH = g.axis2D(out, h: true); s.outW = g.axis2D(out, h: false)
        s.kH = g.axis2D(g.kernel, h: true); s.kW = g.axis2D(g.kernel, h: false)
        s.strideH = g.axis2D(g.strides, h: true); s.strideW = g.axis2D(g.strides, h: false)
        s.dilationH = g.axis2D(g.dilations, h: true); s.dilationW = g.axis2D(g.dilations, h: false)
        s.padTop = g.pad2D(pads, h: true, end: false); s.padLeft = g.pad2D(pads, h: false, end: false)
        s.padBottom = g.pad2D(pads, h: true, end: true); s.padRight = g.pad2D(pads, h: false, end: true)
        return (s, [x[0], x[1]] + out)
    }
}

/// MaxPool / AveragePool kernel: planes split among workers.
final class DensePoolKernel: Kernel {
    let s: Pool2DShape
    let isMax: Bool
    let countIncludePad: Bool

    init(_ s: Pool2DShape, isMax: Bool, countIncludePad: Bool) {
        self.s = s
        self.isMax = isMax
        self.countIncludePad = countIncludePad
    }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.output(0, as: Float.self)
        let grain = max(1, 4096 / max(1, s.outH * s.outW * s.kH * s.kW))
        io.workers.parallelFor(s.planes, grain: grain,
                               Pool2DTask(s: s, isMax: isMax, countIncludePad: countIncludePad, x: x, y: y))
    }
}

/// Max or average pooling over a range of (batch, channel) planes.
private struct Pool2DTask: ParallelTask {
    let s: Pool2DShape
    let isMax: Bool, countIncludePad: Bool
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ planes: Range<Int>) {
        if isMax {
            maxPool2d(s, x: x, y: y, planes: planes)
        } else {
            averagePool2d(s, countIncludePad: countIncludePad, x: x, y: y, planes: planes)
        }
    }
}
