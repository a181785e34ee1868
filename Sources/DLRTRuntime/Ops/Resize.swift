import DLRTKernels
import DLRTModel

/// Resize (float32, any rank): `mode` nearest / linear / cubic, ONNX's coordinate
/// transformations and nearest modes, and either `scales` (output = floor(in · scale), so one
/// file runs at any input size) or `sizes` (with `keep_aspect_ratio_policy`), for `axes`
/// (default: every axis). Index / weight tables are built per input shape at plan time.
/// `roi`, `scales` and `sizes` are attributes, or ONNX's inputs 1, 2, 3 (float32, float32,
/// int64; rank 1) read when planning — value inputs when they are graph inputs.
final class ResizeOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .resize }

    let node: Node
    let spec: ResizeSpec
    let axes: [Int]?
    /// From the attributes; nil when roi / scales / sizes are inputs read at plan time.
    let fixedTargets: ResizeTargets?
    let notLarger: Bool?   // nil: stretch; else keep_aspect_ratio_policy not_larger / not_smaller
    let valueInputPositions: [Int]

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 4, optional: [1, 2, 3])
        self.node = node
        let a = DenseAttributes(node)
        func parse<T: RawRepresentable>(_ name: String, _ def: String, _: T.Type) throws -> T where T.RawValue == String {
            let v = try a.string(name, default: def)
            guard let t = T(rawValue: v) else { throw a.error("attribute '\(name)' is \"\(v)\", which is not supported") }
            return t
        }
        let mode = try parse("mode", "nearest", ResizeMode.self)
        let coordinate = try parse("coordinate_transformation_mode", "half_pixel", ResizeCoordinateMode.self)
        let nearest = try parse("nearest_mode", "round_prefer_floor", ResizeNearestMode.self)
        let cubicA = try a.float("cubic_coeff_a", default: -0.75)
        let extrapolation = try a.float("extrapolation_value", default: 0)
        guard cubicA.isFinite else { throw a.error("attribute 'cubic_coeff_a' is \(cubicA), expected a finite value") }
        spec = ResizeSpec(mode: mode, coordinate: coordinate, nearest: nearest, cubicA: cubicA,
                          excludeOutside: try a.flag("exclude_outside", default: false), extrapolation: extrapolation)
        axes = try a.ints("axes")
        let policy = try a.string("keep_aspect_ratio_policy", default: "stretch")
        switch policy {
        case "stretch": notLarger = nil
        case "not_larger": notLarger = true
        case "not_smaller": notLarger = false
        default: throw a.error("attribute 'keep_aspect_ratio_policy' is \"\(policy)\", expected stretch, not_larger or not_smaller")
        }
        let present = (1 ..< node.inputs.count).filter { node.inputs[$0] >= 0 }
        if present.isEmpty {
            valueInputPositions = []
            fixedTargets = try ResizeTargets(node, scales: try resizeFloats(node, "scales"), sizes: try a.ints("sizes")?.map { Int64($0) },
                                             roi: try resizeFloats(node, "roi"), axes: axes)
        } else {
            for name in ["scales", "sizes", "roi"] where node.attributes[name] != nil {
                throw a.error("attribute '\(name)' is given together with roi / scales / sizes inputs")
            }
            for k in present {
                let id = Int(node.inputs[k])
                let want: DType = k == 3 ? .int64 : .float32
                guard id < graph.tensors.count, graph.tensors[id].dtype == want, graph.tensors[id].shape.count <= 1 else {
                    throw OpError(node, "input \(k) (\(Self.inputRoles[k])) must be a \(want) tensor of rank ≤ 1", kind: .unsupported)
                }
            }
            valueInputPositions = present
            fixedTargets = nil
        }
    }

    static let inputRoles = ["X", "roi", "scales", "sizes"]

    /// The roi / scales / sizes of this plan: the attributes, or the inputs' current values.
    func targets(_ inputs: [PlanInput]) throws -> ResizeTargets {
        if let fixedTargets { return fixedTargets }
        func values<T>(_ k: Int, _: T.Type) throws -> [T]? {
            guard valueInputPositions.contains(k) else { return nil }
            guard k < inputs.count, let data = inputs[k].constant else {
                throw OpError(node, "input \(k) (\(Self.inputRoles[k])) has no value when planning", kind: .internalError)
            }
            let v = data.elements(as: T.self)
            return v.isEmpty ? nil : v   // an empty tensor stands for an absent operand
        }
        do {
            return try ResizeTargets(node, scales: try values(2, Float.self), sizes: try values(3, Int64.self),
                                     roi: try values(1, Float.self), axes: axes)
        } catch let e as ModelError {
            throw ModelError(.shape, e.message)   // a bad value fed at run time: the caller's input
        }
    }

    /// Per input axis: output size, scale and roi.
    func geometry(_ x: [Int], _ t: ResizeTargets) throws -> [(out: Int, scale: Float, roi: (Float, Float))] {
        let (scales, sizes, roi) = (t.scales, t.sizes, t.roi)
        let r = x.count
        guard r >= 1 else { throw OpError(node, "X is a scalar; Resize needs rank ≥ 1", kind: .shape) }
        var g = x.map { (out: $0, scale: Float(1), roi: (Float(0), Float(1))) }
        let list = try (axes ?? (0 ..< r).map { Int($0) }).map {
            try ElemCheck.axis(node, "axes", Int64($0), rank: r, shape: x)
        }
        let what = scales == nil ? "sizes" : "scales", count = scales?.count ?? sizes?.count ?? 0
        guard axes != nil || count == r else {
            throw OpError(node, "attribute '\(what)' has \(count) values, expected \(r) values (one per axis of X \(describe(x)))", kind: .shape)
        }
        guard Set(list).count == list.count else {
            throw OpError(node, "attribute 'axes' \(describe(list)) names an axis of X \(describe(x)) twice", kind: .shape)
        }
        if let scales {
            for (k, a) in list.enumerated() {
                let o = (Float(x[a]) * scales[k]).rounded(.down)
                guard o < Float(1 << 40) else { throw OpError(node, "output size on axis \(a) is too large", kind: .shape) }
                g[a].out = Int(o); g[a].scale = scales[k]
            }
        } else if let sizes {
            var common: Float? = nil
            if let notLarger {
                for (k, a) in list.enumerated() where x[a] > 0 {
                    let s = Float(sizes[k]) / Float(x[a])
                    common = common.map { notLarger ? Swift.min($0, s) : Swift.max($0, s) } ?? s
                }
            }
            for (k, a) in list.enumerated() {
                if let c = common {
                    let o = (c * Float(x[a])).rounded(.toNearestOrAwayFromZero)
                    guard o < Float(1 << 40) else { throw OpError(node, "output size on axis \(a) is too large", kind: .shape) }
                    g[a].out = Int(o); g[a].scale = c
                } else {
                    g[a].out = sizes[k]
                    g[a].scale = x[a] > 0 ? Float(sizes[k]) / Float(x[a]) : 1
                }
            }
        }
        if let roi {
            for (k, a) in list.enumerated() { g[a].roi = (roi[k], roi[k + list.count]) }
        }
        // The per-row tables hold taps^(interpolated axes before the last) entries per row.
        let interpolated = (0 ..< r - 1).filter { x[$0] > 1 && (g[$0].out != x[$0] || g[$0].scale != 1) }.count
        if spec.mode != .nearest && interpolated > (spec.mode == .linear ? 6 : 3) {
            throw OpError(node, "\(spec.mode.rawValue) resize of \(interpolated + 1) axes of X \(describe(x)) is not supported (at most \(spec.mode == .linear ? 7 : 4))",
                          kind: .unsupported)
        }
        for a in 0 ..< r where x[a] == 0 && g[a].out != 0 {
            throw OpError(node, "X \(describe(x)) is empty on axis \(a) but the output size there is \(g[a].out)", kind: .shape)
        }
        return g
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.floatInput(node, inputs, 0, "X")
        let out = try geometry(x.shape, try targets(inputs)).map(\.out)
        guard checkedElementCount(out).map({ $0 < 1 << 40 }) == true else {
            throw OpError(node, "output shape \(describe(out)) is too large", kind: .shape)
        }
        return [TensorType(.float32, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.floatInput(node, inputs, 0, "X")
        let g = try geometry(x.shape, try targets(inputs))
        if outputs[0].elementCount == 0 { return ResizeKernel(plan: nil) }
        let tables = x.shape.indices.map {
            ResizeAxisTable(inSize: x.shape[$0], outSize: g[$0].out, scale: g[$0].scale, roi: g[$0].roi, spec: spec)
        }
        return ResizeKernel(plan: ResizePlan(inShape: x.shape, outShape: g.map(\.out), tables: tables,
                                             extrapolation: spec.extrapolation))
    }
}

final class ResizeKernel: Kernel {
    let plan: ResizePlan?
    let grain: Int

    init(plan: ResizePlan?) {
        self.plan = plan
        let perRow = Swift.max(1, (plan?.outShape.last ?? 1) * (plan?.combos ?? 1))
        grain = Swift.max(1, (1 << 14) / perRow)
    }

    func run(_ io: KernelIO) {
        guard let plan else { return }
        io.workers.parallelFor(plan.rowCount, grain: grain, ResizeTask(plan: plan, x: io.input(0), y: io.output(0)))
    }
}

private struct ResizeTask: ParallelTask {
    let plan: ResizePlan
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ rows: Range<Int>) { plan.run(x, y, rows: rows) }
}

/// Validated `scales` / `sizes` (exactly one) and optional `roi` of a Resize.
struct ResizeTargets {
    let scales: [Float]?
    let sizes: [Int]?
    let roi: [Float]?

    init(_ node: Node, scales s: [Float]?, sizes z: [Int64]?, roi: [Float]?, axes: [Int]?) throws {
        guard (s == nil) != (z == nil) else {
            throw OpError(node, s == nil ? "neither scales nor sizes is given" : "both scales and sizes are given")
        }
        let count = s?.count ?? z?.count ?? 0
        if let axes, axes.count != count {
            throw OpError(node, "'axes' \(describe(axes)) has \(axes.count) values but \(s == nil ? "sizes" : "scales") has \(count)")
        }
        if let s, !s.allSatisfy({ $0 > 0 && $0.isFinite && $0 < 1_048_576 }) {
            throw OpError(node, "scales \(s) has a value that is not a positive finite number below 2^20")
        }
        if let z, !z.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) { throw OpError(node, "sizes \(z) has a negative or huge value") }
        if let roi, roi.count != 2 * count || !roi.allSatisfy(\.isFinite) {
            throw OpError(node, "roi \(roi) must hold \(2 * count) finite values (starts then ends)")
        }
        scales = s
        sizes = z.map { $0.map { Int($0) } }
        self.roi = roi
    }
}

/// A floats attribute (nil when absent).
private func resizeFloats(_ node: Node, _ name: String) throws -> [Float]? {
    guard let a = node.attributes[name] else { return nil }
    guard case .floats(let v) = a else { throw OpError(node, "attribute '\(name)' is \(a), expected floats") }
    return v
}
