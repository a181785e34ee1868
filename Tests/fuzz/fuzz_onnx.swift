// libFuzzer target: the ONNX importer (protobuf parsing, folding, lowering) on arbitrary bytes.
// Thrown ModelErrors are the expected outcome; any trap, ASan report or leak is a bug.
import DLRTModel
import DLRTONNX

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ONNXConverter.convert(bytes: UnsafeRawBufferPointer(start: data, count: size), source: "<fuzz>")
    return 0
}
