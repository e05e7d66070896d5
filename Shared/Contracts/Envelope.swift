/// The RPC envelope (ARCHITECTURE.md "RPC wire format"). A frame is a 4-byte big-endian length and
/// that many bytes of UTF-8 JSON: a request or a reply.
public enum RPCProtocol {
    public static let version = 1
    /// Largest frame body accepted or sent.
    public static let maxFrameLength = 1 << 20
}

/// Every RPC method: its name, params and result types, and whether a client may retry it on its own.
public protocol RPCMethod: Sendable {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
    /// Only idempotent methods are retried automatically after a lost connection.
    static var idempotent: Bool { get }
}

/// A request as sent: `{"v":1,"id":7,"method":"…","deadline_ms":1500,"rid":"…","params":{…}}`.
public struct RPCRequest<Params: Encodable & Sendable>: Encodable, Sendable {
    public var v: Int = RPCProtocol.version
    public var id: UInt64
    public var method: String
    public var deadline_ms: Int?
    public var rid: String?
    public var params: Params

    public init(id: UInt64, method: String, deadlineMs: Int?, rid: String?, params: Params) {
        self.id = id
        self.method = method
        self.deadline_ms = deadlineMs
        self.rid = rid
        self.params = params
    }
}

/// The fields of a request a server reads before it knows the params type.
public struct RPCRequestHead: Decodable, Sendable {
    public var v: Int
    public var id: UInt64
    public var method: String
    public var deadline_ms: Int?
    public var rid: String?
}

/// Decodes only `params` from a request frame, once the method (and so the type) is known.
public struct RPCParamsBox<Params: Decodable>: Decodable {
    public var params: Params
}

/// A reply as sent: `{"v":1,"id":7,"result":{…}}` or `{"v":1,"id":7,"error":{…}}`.
public struct RPCReply<Result: Encodable & Sendable>: Encodable, Sendable {
    public var v: Int = RPCProtocol.version
    public var id: UInt64
    public var result: Result?
    public var error: ServiceError?

    public init(id: UInt64, result: Result) {
        self.id = id
        self.result = result
        self.error = nil
    }

    public init(id: UInt64, error: ServiceError) {
        self.id = id
        self.result = nil
        self.error = error
    }
}

/// The fields of a reply a client reads to route it: the id and, if present, the error.
public struct RPCReplyHead: Decodable, Sendable {
    public var v: Int?
    public var id: UInt64
    public var error: ServiceError?
}

/// Decodes only `result` from a reply frame.
public struct RPCResultBox<Result: Decodable>: Decodable {
    public var result: Result
}

/// An empty params or result object, `{}`.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}
