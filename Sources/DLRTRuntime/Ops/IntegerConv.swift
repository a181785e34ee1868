import DLRTKernels
import DLRTModel

/// ConvInteger (114): Y int32 [N, M, out…] = Σ (X − x_zero_point) · (W − w_zero_point) over the
/// group's channels and the kernel taps, 1-D or 2-D, with Conv's attributes (kernel_shape, strides,
/// dilations, pads, auto_pad, group). X [N, C, …] and W [M, C/group, k…] uint8 or int8 (each zero
/// point of its tensor's dtype); x_zero_point one value; w_zero_point one value or one per output
/// channel; absent = 0. Padding holds x_zero_point (contributes 0). Exact, int32 sums wrapping.
final class ConvIntegerOperator: Operator {
    static let opCode = OpCode.convInteger
    let node: Node
    let group: Int

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 2)
        self.node = node
        group = try a.int("group", default: 1)
        guard group >= 1 else { throw a.error("attribute 'group' is \(group), expected ≥ 1") }
    }

    struct Setup {
        var n = 0, c = 0, m = 0, cg = 0
        var h = 0, w = 0, kh = 0, kw = 0, oh = 0, ow = 0
        var sh = 0, sw = 0, dh = 0, dw = 0, pt = 0, pl = 0
        var group = 1
        var xSigned = false, wSigned = false
        var xZero = 0, wZero = 0
        var output: [Int] = []
        var xCount: Int { n * c * h * w }
        var wCount: Int { m * cg * kh * kw }
    }

    func setup(_ inputs: [PlanInput]) throws -> Setup {
        let a = DenseAttributes(node)
        let x = try IntegerInput(inputs, 0, "x", a), wt = try IntegerInput(inputs, 1, "w", a)
        guard x.shape.count == 3 || x.shape.count == 4, wt.shape.count == x.shape.count else {
            throw a.error("x \(describe(x.shape)) and w \(describe(wt.shape)): expected 1-D or 2-D convolution (both rank 3 or 4)",
                          kind: .unsupported)
        }
        let geometry = try ConvGeometry(node: node, kernelFromWeights: Array(wt.shape[2...]), allowCeilMode: false)
        var s = Setup()
        s.group = group
        s.n = x.shape[0]; s.c = x.shape[1]; s.m = wt.shape[0]; s.cg = wt.shape[1]
        guard s.c == s.cg * group, s.m % group == 0 else {
            throw a.error("x \(describe(x.shape)), w \(describe(wt.shape)) and group \(group) do not match", kind: .shape)
        }
        let (out, pads) = try geometry.resolve(Array(x.shape[2...]), node: node)
        s.h = geometry.axis2D(Array(x.shape[2...]), h: true); s.w = geometry.axis2D(Array(x.shape[2...]), h: false)
        s.kh = geometry.axis2D(geometry.kernel, h: true); s.kw = geometry.axis2D(geometry.kernel, h: false)
        s.oh = geometry.axis2D(out, h: true); s.ow = geometry.axis2D(out, h: false)
        s.sh = geometry.axis2D(geometry.strides, h: true); s.sw = geometry.axis2D(geometry.strides, h: false)
        s.dh = geometry.axis2D(geometry.dilations, h: true); s.dw = geometry.axis2D(geometry.dilations, h: false)
        s.pt = geometry.pad2D(pads, h: true, end: false); s.pl = geometry.pad2D(pads, h: false, end: false)
        s.xSigned = x.signed; s.wSigned = wt.signed
        s.xZero = try IntegerInput.zeroPoint(inputs, 2, "x_zero_point", of: x, perCount: 1, what: "tensor", a)
        s.wZero = try IntegerInput.zeroPoint(inputs, 3, "w_zero_point", of: wt, perCount: s.m, what: "output channel", a)
        s.output = [s.n, s.m] + out
        guard checkedElementCount(s.output) != nil, let xc = checkedElementCount(x.shape), let wc = checkedElementCount(wt.shape),
              xc < 1 << 40, wc < 1 << 40 else {
            throw a.error("x \(describe(x.shape)) / w \(describe(wt.shape)) are too large", kind: .shape)
        }
        return s
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.int32, try setup(inputs).output)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ConvIntegerKernel(try setup(inputs))
    }
}

final class ConvIntegerKernel: Kernel {
    let s: ConvIntegerOperator.Setup
    init(_ s: ConvIntegerOperator.Setup) { self.s = s }

    /// X and W widened to int32 with their zero points subtracted.
    var scratchByteCount: Int { 4 * (s.xCount + s.wCount) }

    func run(_ io: KernelIO) {
        let y = io.output(0, as: Int32.self)
        let outCount = s.n * s.m * s.oh * s.ow
        guard let scratch = io.scratch?.assumingMemoryBound(to: Int32.self) else {
            y.update(repeating: 0, count: outCount)
            return
        }
        let x = scratch, w = scratch + s.xCount
        let taps = s.cg * s.kh * s.kw
        integerWiden(io.rawInput(0), signed: s.xSigned, count: s.xCount, zero: s.xZero > 0 ? io.rawInput(2) : nil,
                     zeroCount: s.xZero, zeroStride: 1, into: x)
        integerWiden(io.rawInput(1), signed: s.wSigned, count: s.wCount, zero: s.wZero > 0 ? io.rawInput(3) : nil,
                     zeroCount: s.wZero, zeroStride: max(taps, 1), into: w)
        let mg = s.m / s.group
        for b in 0 ..< s.n {
            for oc in 0 ..< s.m {
                let g = oc / mg
                let wm = w + oc * taps
                for oy in 0 ..< s.oh {
                    for ox in 0 ..< s.ow {
                        var acc: Int32 = 0
                        for ci in 0 ..< s.cg {
                            let plane = x + ((b * s.c + g * s.cg + ci) * s.h) * s.w
                            for ky in 0 ..< s.kh {
                                let iy = oy * s.sh - s.pt + ky * s.dh
                                guard iy >= 0 && iy < s.h else { continue }
                                for kx in 0 ..< s.kw {
                                    let ix = ox * s.sw - s.pl + kx * s.dw
                                    guard ix >= 0 && ix < s.w else { continue }
                                    acc = acc &+ plane[iy * s.w + ix] &* wm[(ci * s.kh + ky) * s.kw + kx]
                                }
                            }
                        }
                        y[((b * s.m + oc) * s.oh + oy) * s.ow + ox] = acc
                    }
                }
            }
        }
    }
}
