/// Operators of the dlrt graph. Semantics follow the ONNX operator of the same name (opset 11–21
/// behaviour, see docs/OPS.md) plus dlrt's fused-activation attributes on Conv and Gemm.
/// The raw values are written into `.dlrt` files and are FROZEN: never renumber; a retired
/// code stays reserved. New operators take the next free number.
public enum OpCode: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case gemm = 1
    case matMul = 2
    case conv = 3
    case maxPool = 4
    case averagePool = 5
    case globalAveragePool = 6
    case batchNormalization = 7
    case relu = 8
    case leakyRelu = 9
    case elu = 10
    case sigmoid = 11
    case tanh = 12
    case clip = 13
    case softmax = 14
    case add = 15
    case sub = 16
    case mul = 17
    case div = 18
    case flatten = 19
    case reshape = 20
    case concat = 21
    case transpose = 22
    case identity = 23
    case globalMaxPool = 24
    case gather = 25
    case cast = 26
    case `where` = 27
    case expand = 28
    case equal = 29
    case less = 30
    case greater = 31
    case lessOrEqual = 32
    case greaterOrEqual = 33
    case `not` = 34
    case `and` = 35
    case `or` = 36
    case `xor` = 37
    case pow = 38
    case sqrt = 39
    case erf = 40
    case neg = 41
    case abs = 42
    case exp = 43
    case log = 44
    case reciprocal = 45
    case isNaN = 46
    case layerNormalization = 47
    case reduceSum = 48
    case reduceMean = 49
    case reduceMax = 50
    case reduceMin = 51
    case reduceL2 = 52
    case reduceProd = 53
    case slice = 54
    case split = 55
    case squeeze = 56
    case unsqueeze = 57
    case trilu = 58
    case range = 59
    // 60–79: activations, n-ary math and small heads
    case softplus = 60
    case hardSigmoid = 61
    case hardSwish = 62
    case pRelu = 63
    case selu = 64
    case mish = 65
    case logSoftmax = 66
    case min = 67
    case max = 68
    case mean = 69
    case sum = 70
    case argMax = 71
    case argMin = 72
    case topK = 73
    case gelu = 74
    case softsign = 75
    case floor = 76
    case ceil = 77
    case round = 78
    case sign = 79
    // 80–89: vision layout (GAN generators, detectors)
    case convTranspose = 80
    case resize = 81
    case pad = 82
    case depthToSpace = 83
    case spaceToDepth = 84
    // 90–99: recurrent
    case lstm = 90
    case gru = 91
    case rnn = 92
    // 100–119: quantized (int8; docs/QUANTIZATION.md)
    case dynamicQuantizeMatMul = 100
    case dynamicQuantizeConv = 101
    case quantizedMatMul = 102
    case quantizedConv = 103
    case quantizeLinear = 104
    case dequantizeLinear = 105
    case quantizedMaxPool = 106
    // mbv2
    case quantizedDepthwiseConv = 110
    // 112–117: ONNX's integer ops at run time (uint8 / int8 in, int32 out; docs/OPS.md)
    case dynamicQuantizeLinear = 112
    case matMulInteger = 113
    case convInteger = 114
    // tfm: 118–121
    case quantizedGather = 118
    case matMulPackedB = 119

    /// The ONNX spelling, used in messages and by the converter.
    public var name: String {
        switch self {
        case .gemm: return "Gemm"
        case .matMul: return "MatMul"
        case .conv: return "Conv"
        case .maxPool: return "MaxPool"
        case .averagePool: return "AveragePool"
        case .globalAveragePool: return "GlobalAveragePool"
        case .batchNormalization: return "BatchNormalization"
        case .relu: return "Relu"
        case .leakyRelu: return "LeakyRelu"
        case .elu: return "Elu"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .clip: return "Clip"
        case .softmax: return "Softmax"
        case .add: return "Add"
        case .sub: return "Sub"
        case .mul: return "Mul"
        case .div: return "Div"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .concat: return "Concat"
        case .transpose: return "Transpose"
        case .identity: return "Identity"
        case .globalMaxPool: return "GlobalMaxPool"
        case .gather: return "Gather"
        case .cast: return "Cast"
        case .where: return "Where"
        case .expand: return "Expand"
        case .equal: return "Equal"
        case .less: return "Less"
        case .greater: return "Greater"
        case .lessOrEqual: return "LessOrEqual"
        case .greaterOrEqual: return "GreaterOrEqual"
        case .not: return "Not"
        case .and: return "And"
        case .or: return "Or"
        case .xor: return "Xor"
        case .pow: return "Pow"
        case .sqrt: return "Sqrt"
        case .erf: return "Erf"
        case .neg: return "Neg"
        case .abs: return "Abs"
        case .exp: return "Exp"
        case .log: return "Log"
        case .reciprocal: return "Reciprocal"
        case .isNaN: return "IsNaN"
        case .layerNormalization: return "LayerNormalization"
        case .reduceSum: return "ReduceSum"
        case .reduceMean: return "ReduceMean"
        case .reduceMax: return "ReduceMax"
        case .reduceMin: return "ReduceMin"
        case .reduceL2: return "ReduceL2"
        case .reduceProd: return "ReduceProd"
        case .slice: return "Slice"
        case .split: return "Split"
        case .squeeze: return "Squeeze"
        case .unsqueeze: return "Unsqueeze"
        case .trilu: return "Trilu"
        case .range: return "Range"
        case .softplus: return "Softplus"
        case .hardSigmoid: return "HardSigmoid"
        case .hardSwish: return "HardSwish"
        case .pRelu: return "PRelu"
        case .selu: return "Selu"
        case .mish: return "Mish"
        case .logSoftmax: return "LogSoftmax"
        case .min: return "Min"
        case .max: return "Max"
        case .mean: return "Mean"
        case .sum: return "Sum"
        case .argMax: return "ArgMax"
        case .argMin: return "ArgMin"
        case .topK: return "TopK"
        case .gelu: return "Gelu"
        case .softsign: return "Softsign"
        case .floor: return "Floor"
        case .ceil: return "Ceil"
        case .round: return "Round"
        case .sign: return "Sign"
        case .convTranspose: return "ConvTranspose"
        case .resize: return "Resize"
        case .pad: return "Pad"
        case .depthToSpace: return "DepthToSpace"
        case .spaceToDepth: return "SpaceToDepth"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        case .rnn: return "RNN"
        case .dynamicQuantizeMatMul: return "DynamicQuantizeMatMul"
        case .dynamicQuantizeConv: return "DynamicQuantizeConv"
        case .quantizedMatMul: return "QuantizedMatMul"
        case .quantizedConv: return "QuantizedConv"
        case .quantizeLinear: return "QuantizeLinear"
        case .dequantizeLinear: return "DequantizeLinear"
        case .quantizedMaxPool: return "QuantizedMaxPool"
        case .quantizedDepthwiseConv: return "QuantizedDepthwiseConv"
        case .dynamicQuantizeLinear: return "DynamicQuantizeLinear"
        case .matMulInteger: return "MatMulInteger"
        case .convInteger: return "ConvInteger"
        case .quantizedGather: return "QuantizedGather"
        case .matMulPackedB: return "MatMulPackedB"
        }
    }

    public var description: String { name }

    /// Looks an op up by its ONNX spelling.
    public init?(name: String) {
        guard let op = OpCode.allCases.first(where: { $0.name == name }) else { return nil }
        self = op
    }
}

/// Activation fused into the epilogue of Conv / Gemm / MatMul (attribute `activation`).
/// FROZEN numbering, like `OpCode`.
public enum FusedActivation: Int64, Sendable, CaseIterable {
    case none = 0
    case relu = 1
    case leakyRelu = 2   // uses attribute `activation_alpha`
    case clip = 3        // uses `activation_min`, `activation_max` (Relu6 = clip 0…6)
    case sigmoid = 4
    case tanh = 5
}
