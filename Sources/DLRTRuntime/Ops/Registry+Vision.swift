import DLRTModel
/// ConvTranspose, Resize, Pad, DepthToSpace, SpaceToDepth (codes 80–89).
let visionOperators: [any Operator.Type] = [
    ConvTransposeOperator.self, ResizeOperator.self, PadOperator.self, DepthSpaceOperator<DepthToSpace>.self, DepthSpaceOperator<SpaceToDepth>.self,
]
