/// An error about a model: bad bytes, a bad graph, an unsupported feature. The message names
/// what is wrong and where (file offset, section, tensor, node, op).
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case io, invalidModel, unsupported, invalidArgument, shape, outOfMemory, state, internalError }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
