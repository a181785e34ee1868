import DLRTKernels
import DLRTModel

/// The sliding-window attributes shared by Conv, MaxPool and AveragePool, validated, and the
/// output-size rule (ONNX): explicit pads, or auto_pad SAME_UPPER / SAME_LOWER / VALID.
struct ConvGeometry: Sendable {
    enum AutoPad: String, Sendable { case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID" }

    /// Spatial rank (1 or 2).
    let rank: Int
    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    /// Explicit pads [begin…, end…] (zeros unless auto_pad is NOTSET).
    let pads: [Int]
    let autoPad: AutoPad
    let ceilMode: Bool
    /// Pools: every pad must be smaller than the window extent.
    let isPool: Bool

    /// `kernel` comes from W for Conv (then `kernel_shape`, if present, must match it) or from
    /// the required `kernel_shape` attribute for pools (`kernelFromWeights == nil`).
    init(node: Node, kernelFromWeights: [Int]?, allowCeilMode: Bool, allowDilations: Bool = true) throws {
        let a = DenseAttributes(node)
        let attrKernel = try a.ints("kernel_shape")
        let k: [Int]
        if let w = kernelFromWeights {
            if let ak = attrKernel, ak != w {
                throw a.error("kernel_shape \(describe(ak)) does not match W's spatial dims \(describe(w))")
            }
            k = w
        } else {
            guard let ak = attrKernel else { throw a.error("attribute 'kernel_shape' is required") }
            k = ak
        }
        rank = k.count
        guard rank == 1 || rank == 2 else {
            throw a.error("\(rank)-D windows (kernel_shape \(describe(k))) are not supported, expected 1-D or 2-D",
                          kind: .unsupported)
        }
        guard k.allSatisfy({ $0 >= 1 }) else { throw a.error("kernel_shape \(describe(k)) has a value < 1") }
        kernel = k
        strides = try a.ints("strides") ?? [Int](repeating: 1, count: rank)
        guard strides.count == rank else {
            throw a.error("strides has \(strides.count) values, expected \(rank)")
        }
        guard strides.allSatisfy({ $0 >= 1 }) else { throw a.error("strides \(describe(strides)) has a value < 1") }
        let d = try a.ints("dilations")
        if d != nil && !allowDilations { throw a.error("attribute 'dilations' is not supported here", kind: .unsupported) }
        dilations = d ?? [Int](repeating: 1, count: rank)
        guard dilations.count == rank else {
            throw a.error("dilations has \(dilations.count) values, expected \(rank)")
        }
        guard dilations.allSatisfy({ $0 >= 1 }) else { throw a.error("dilations \(describe(dilations)) has a value < 1") }
        let ap = try a.string("auto_pad", default: "NOTSET")
        guard let autoPad = AutoPad(rawValue: ap) else {
            throw a.error("attribute 'auto_pad' is \"\(ap)\", expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        }
        self.autoPad = autoPad
        let p = try a.ints("pads")
        if let p {
            guard p.count == 2 * rank else { throw a.error("pads has \(p.count) values, expected \(2 * rank)") }
            guard p.allSatisfy({ $0 >= 0 }) else { throw a.error("pads \(describe(p)) has a negative value") }
        }
        pads = autoPad == .notSet ? (p ?? [Int](repeating: 0, count: 2 * rank)) : [Int](repeating: 0, count: 2 * rank)
        ceilMode = allowCeilMode ? try a.flag("ceil_mode", default: false) : false
        isPool = kernelFromWeights == nil
        if isPool {
            for i in 0 ..< rank {
                let ext = (kernel[i] - 1) * dilations[i] + 1
                if pads[i] >= ext || pads[i + rank] >= ext {
                    throw a.error("pads \(describe(pads)) must be smaller than the window extent \(ext) on axis \(i)")
                }
            }
        }
    }

    /// Output spatial sizes and the resolved pads [begin…, end…] for input spatial sizes `input`.
    func resolve(_ input: [Int], node: Node) throws -> (output: [Int], pads: [Int]) {
        var out = [Int](repeating: 0, count: rank)
        var p = pads
        for i in 0 ..< rank {
            let ext = (kernel[i] - 1) * dilations[i] + 1
            let n = input[i], s = strides[i]
            switch autoPad {
            case .notSet:
                let span = n + p[i] + p[i + rank] - ext
                guard span >= 0 else {
                    throw OpError(node, "input spatial size \(n) (axis \(i), pads \(p[i])+\(p[i + rank])) is smaller than the window extent \(ext)",
                                  kind: .shape)
                }
                var o = (ceilMode ? (span + s - 1) / s : span / s) + 1
                if ceilMode && (o - 1) * s >= n + p[i] { o -= 1 }
                out[i] = o
            case .valid:
                guard n >= ext else {
                    throw OpError(node, "input spatial size \(n) (axis \(i)) is smaller than the window extent \(ext) with auto_pad VALID",
                                  kind: .shape)
                }
                out[i] = (n - ext) / s + 1
            case .sameUpper, .sameLower:
                let o = (n + s - 1) / s
                let total = max(0, (o - 1) * s + ext - n)
                let small = total / 2
                p[i] = autoPad == .sameUpper ? small : total - small
                p[i + rank] = total - p[i]
                out[i] = o
            }
        }
        return (out, p)
    }
}

/// The first spatial axis of a 1-D window maps to W (H = 1).
extension ConvGeometry {
    func axis2D(_ values: [Int], h: Bool) -> Int {
        rank == 2 ? values[h ? 0 : 1] : (h ? 1 : values[0])
    }
    func pad2D(_ resolved: [Int], h: Bool, end: Bool) -> Int {
        let base = end ? rank : 0
        return rank == 2 ? resolved[base + (h ? 0 : 1)] : (h ? 0 : resolved[base])
    }
}

extension ConvGeometry {
    /// `template` (channels, kernel, group) completed for input `x` [N, C, spatial…]: batch,
    /// input and output sizes, strides, dilations and the leading pads, with 1-D windows mapped
    /// to W. Errors: the geometry's own (`resolve`) for inputs the window does not fit.
    func shape(from template: Conv2DShape, input x: [Int], node: Node) throws -> Conv2DShape {
        let spatial = Array(x[2...])
        let (out, pads) = try resolve(spatial, node: node)
        var s = template
        s.batch = x[0]
        s.inH = axis2D(spatial, h: true); s.inW = axis2D(spatial, h: false)
        s.outH = axis2D(out, h: true); s.outW = axis2D(out, h: false)
        s.strideH = axis2D(strides, h: true); s.strideW = axis2D(strides, h: false)
        s.dilationH = axis2D(dilations, h: true); s.dilationW = axis2D(dilations, h: false)
        s.padTop = pad2D(pads, h: true, end: false); s.padLeft = pad2D(pads, h: false, end: false)
        return s
    }
}
