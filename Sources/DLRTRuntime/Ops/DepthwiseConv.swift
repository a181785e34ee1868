import CDLRTSupport
import DLRTKernels
import DLRTModel

/// Conv's depthwise path (group = C = M, constant W) on AVX-512 CPUs: the C kernel
/// `cdlrt_depthwise_f32` (CDLRTSupport/fdepthwise.c), 16 channels per zmm, input staged and
/// transposed in registers, output transposed back; bias and Relu / LeakyRelu / Clip fused
/// (Sigmoid / Tanh applied after). The weights are re-laid out once per plan into
/// [ceil(C/16)][kH·kW][16]. Results equal the Swift blocked kernel's on AVX-512 (same FMA order:
/// bias, then taps in (kh, kw) order). Other ISAs (or `DLRT_ISA` below avx512) keep
/// `depthwiseBlockedForward` / `conv2dForward` (ConvKernel).
final class DepthwiseConvKernel: Kernel {
    static let lanes = 16
    static let maxSlots = 4
    let s: Conv2DShape
    let hasBias: Bool
    let activation: DenseActivation
    let geometry: cdlrt_conv_geometry
    let blocks: Int
    /// [blocks][kH·kW][16], zero past C.
    let weights: UnsafeMutablePointer<Float>
    let slots: Int
    let slotBytes: Int
    /// Relu, LeakyRelu and Clip are the kernel's slope-and-clamp; Sigmoid / Tanh run after.
    let fused: Bool

    /// nil unless the C kernel applies: depthwise, constant W, the AVX-512 kernel table active.
    static func make(shape s: Conv2DShape, weights: DenseBuffer?, hasBias: Bool, activation: DenseActivation) -> DepthwiseConvKernel? {
        guard s.isDepthwise, let weights, weights.count >= s.inChannels * s.kH * s.kW, KernelTable.active.isa == .avx512,
              cdlrt_dwf_supported() != 0, s.outPlane > 0, s.batch > 0,
              let image = checkedElementCount([s.inChannels, s.inH, s.inW]),
              let out = checkedElementCount([s.inChannels, s.outH, s.outW]), image < Int(Int32.max), out < Int(Int32.max) else { return nil }
        return DepthwiseConvKernel(shape: s, weights: UnsafePointer(weights.pointer), hasBias: hasBias, activation: activation)
    }

    init(shape: Conv2DShape, weights w: UnsafePointer<Float>, hasBias: Bool, activation: DenseActivation) {
        s = shape
        self.hasBias = hasBias
        self.activation = activation
        let k = activation.kind
        fused = k == .none || k == .relu || k == .leakyRelu || k == .clip
        geometry = cdlrt_conv_geometry(
            h: Int32(s.inH), w: Int32(s.inW), kh: Int32(s.kH), kw: Int32(s.kW), stride_h: Int32(s.strideH),
            stride_w: Int32(s.strideW), pad_top: Int32(s.padTop), pad_left: Int32(s.padLeft), dil_h: Int32(s.dilationH),
            dil_w: Int32(s.dilationW), out_h: Int32(s.outH), out_w: Int32(s.outW))
        let L = Self.lanes, C = s.inChannels, taps = s.kH * s.kW
        blocks = (C + L - 1) / L
        weights = .allocate(capacity: max(1, blocks * taps * L))
        weights.initialize(repeating: 0, count: max(1, blocks * taps * L))
        for c in 0 ..< C {
            for t in 0 ..< taps { weights[(c / L * taps + t) * L + c % L] = w[c * taps + t] }
        }
        var g = geometry
        slotBytes = cdlrt_dwf_scratch_bytes(&g)
        let serial = s.batch * s.outChannels * s.outPlane * taps < 1 << 15
        slots = serial ? 1 : max(1, min(blocks, Self.maxSlots))
    }

    deinit { weights.deallocate() }

    var biasBytes: Int { hasBias ? (blocks * Self.lanes * 4 + 63) / 64 * 64 : 0 }
    /// Scratch: the bias padded to whole blocks, then one block scratch per slot.
    var scratchByteCount: Int { biasBytes + slots * slotBytes }


    func run(_ io: KernelIO) {
        guard let scratch = io.scratch else { return }
        let C = s.inChannels
        var a = cdlrt_dwf_args()
        a.g = geometry
        a.channels = Int32(C)
        a.weights = UnsafePointer(weights)
        if hasBias {
            let b = scratch.assumingMemoryBound(to: Float.self)
            b.update(from: io.input(2, as: Float.self), count: C)
            (b + C).update(repeating: 0, count: blocks * Self.lanes - C)
            a.bias = UnsafePointer(b)
        }
        let act = activation
        a.clamp = fused && act.kind != .none ? 1 : 0
        a.slope = act.kind == .leakyRelu ? act.alpha : 1
        a.lo = act.kind == .clip ? act.min : act.kind == .relu ? 0 : -.infinity
        a.hi = act.kind == .clip ? act.max : .infinity
        let x = io.input(0, as: Float.self), y = io.output(0, as: Float.self)
        let parallel: any ParallelLoop = slots == 1 ? SerialLoop() : io.workers
        for b in 0 ..< s.batch {
            a.x = x + b * C * s.inPlane
            a.y = y + b * C * s.outPlane
            parallel.parallelFor(slots, grain: 1, DepthwiseF32Task(args: a, blocks: blocks, slots: slots,
                                                                   scratch: scratch + biasBytes, slotBytes: slotBytes))
        }
        if !fused { act.apply(y, count: s.batch * C * s.outPlane) }
    }
}

struct DepthwiseF32Task: ParallelTask {
    var args: cdlrt_dwf_args
    let blocks: Int, slots: Int
    let scratch: UnsafeMutableRawPointer
    let slotBytes: Int

    func run(_ range: Range<Int>) {
        var a = args
        for slot in range {
            cdlrt_depthwise_f32(&a, Int32(blocks * slot / slots), Int32(blocks * (slot + 1) / slots), scratch + slot * slotBytes)
        }
    }
}
