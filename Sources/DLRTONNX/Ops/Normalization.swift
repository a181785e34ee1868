import DLRTModel

// BatchNormalization (inference form).
extension OpTable {
    static let normalizationOps: [OpDef] = [
        OpDef(name: "BatchNormalization", code: .batchNormalization, normalize: { n, opset in
            // opset 6–8: `spatial` (1 = per channel, the only form dlrt has); opset < 7: `is_test`.
            if let s = n.int("spatial"), s != 1 {
                throw n.unsupported("attribute 'spatial' = \(s) is not supported (only per-channel statistics)")
            }
            if let t = n.int("training_mode"), t != 0 {
                throw n.unsupported("attribute 'training_mode' = \(t) is not supported (inference only)")
            }
            for k in ["spatial", "is_test", "momentum", "training_mode", "consumed_inputs"] { n.attrs[k] = nil }
        }, infer: { n, g in
            var r = [sameAs(n, g)]
            let c = g.shapeOf(n.input(1))
            for _ in 1 ..< max(1, n.outputs.count) { r.append(ValueInfo(type: g.typeOf(n.input(0)), shape: c)) }
            return r
        }, lower: { n, _ in
            if n.outputs.count > 1, let used = n.outputs.dropFirst().first(where: { !$0.isEmpty }) {
                throw n.unsupported("training outputs (running mean/var '\(used)') are not supported")
            }
            try checkKnownAttrs(n, ["epsilon"])
            return ["epsilon": .float(n.float("epsilon") ?? 1e-5)]
        }),
    ]
}
