@_exported import DLRTKernelsCore
import DLRTModel
