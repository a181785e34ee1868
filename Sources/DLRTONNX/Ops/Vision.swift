import DLRTModel

// ConvTranspose, Resize, Upsample, Pad, DepthToSpace, SpaceToDepth.
extension OpTable {
    static let visionOps: [OpDef] = []
}
