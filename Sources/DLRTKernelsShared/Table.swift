// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// This module's kernels (`isaLevel` and the micro-kernels come from the module's own ISA.swift).
public let isaKernelTable = KernelTable(isa: isaLevel,
                                        gemmCompute: { isaGemmCompute($0) },
                                        gemmSmallM: { isaSmallMCompute($0) },
                                        depthwise: { isaDepthwise($0) },
                                        depthwiseBlocked: { isaDepthwiseBlocked($0) },
                                        convPack: { isaConvPack($0) },
                                        convFused: { isaConvFused($0) },
                                        convPad: { isaConvPad($0) },
                                        unary: { isaUnary($0) },
                                        fmaPeak: { isaFMAPeak($0) },
                                        softmaxRows: { isaSoftmaxRows($0) },
                                        layerNormRows: { isaLayerNormRows($0) },
                                        binary: { isaBinary($0) },
                                        recurrentCell: { isaRecurrentCell($0) },
                                        convDirectPrep: { isaConvDirectPrep($0) },  // conv32
                                        convDirect: { isaConvDirect($0) },
                                        maxPool: { isaMaxPool($0) })  // rn2
