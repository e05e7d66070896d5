import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One registered method with its types erased: decodes a request frame for it and, if the params
/// decode, produces the work that runs the handler and encodes the reply frame.
struct RegisteredMethod: Sendable {
    enum Prepared {
        /// The request is answered without running the handler (the params did not decode).
        case reply(ServiceError)
        case run(rid: String?, deadlineMs: Int?, work: @Sendable (RPCContext) async -> [UInt8])
        /// Not even the envelope is readable: the frame is malformed.
        case malformed
    }

    let prepare: @Sendable (_ frame: [UInt8], _ id: UInt64) -> Prepared

    init<M: RPCMethod>(_ method: M.Type, _ handler: @escaping @Sendable (M.Params, RPCContext) async throws -> M.Result) {
        // Whether the params scan back, looked up once here rather than cast for every request.
        let scanner = FastEnvelope.scanner(for: M.Params.self)
        prepare = { frame, id in
            if let fast = FastEnvelope.decodeRequest(frame, as: M.Params.self, scanner: scanner) {
                let params = fast.params
                return .run(rid: fast.rid, deadlineMs: fast.deadlineMs) { context in
                    do {
                        let result = try await handler(params, context)
                        if let body = FastEnvelope.result(id: id, result), let bytes = try? FrameEncoder.frame(body) { return bytes }
                        return RPCReplyEncoding.frame(RPCReply(id: id, result: result), id: id, encoder: JSONEncoder())
                    } catch let error as ServiceError {
                        return (try? FrameEncoder.frame(FastEnvelope.error(id: id, error))) ?? RPCReplyEncoding.errorFrame(error, id: id)
                    } catch {
                        return RPCReplyEncoding.errorFrame(.internalError, id: id)
                    }
                }
            }
            let decoder = JSONDecoder()
            let request: RequestFrame<M.Params>
            do {
                request = try FrameBytes.withData(frame) { try decoder.decode(RequestFrame<M.Params>.self, from: $0) }
            } catch {
                // Tell a bad envelope (close the connection) from bad params (answer, keep going).
                let headReadable = (try? FrameBytes.withData(frame) { try decoder.decode(RPCRequestHead.self, from: $0) }) != nil
                return headReadable ? .reply(.invalidInput(ServiceError.describe(error))) : .malformed
            }
            let params = request.params
            return .run(rid: request.rid, deadlineMs: request.deadline_ms) { context in
                let encoder = JSONEncoder()
                do {
                    let result = try await handler(params, context)
                    return RPCReplyEncoding.frame(RPCReply(id: id, result: result), id: id, encoder: encoder)
                } catch let error as ServiceError {
                    return RPCReplyEncoding.frame(RPCReply<Empty>(id: id, error: error), id: id, encoder: encoder)
                } catch {
                    return RPCReplyEncoding.frame(RPCReply<Empty>(id: id, error: .internalError), id: id, encoder: encoder)
                }
            }
        }
    }
}

/// A whole request, decoded in one pass once the method (and so the params type) is known.
struct RequestFrame<Params: Decodable>: Decodable {
    var v: Int
    var id: UInt64
    var method: String
    var deadline_ms: Int?
    var rid: String?
    var params: Params
}

enum RPCReplyEncoding {
    /// Encodes and frames a reply; a result too large or not encodable becomes `service.internal`.
    static func frame<R: Encodable & Sendable>(_ reply: RPCReply<R>, id: UInt64, encoder: JSONEncoder) -> [UInt8] {
        if let bytes = try? FrameEncoder.encode(reply, with: encoder) { return bytes }
        return errorFrame(.internalError.with(details: "reply could not be encoded"), id: id)
    }

    static func errorFrame(_ error: ServiceError, id: UInt64) -> [UInt8] {
        let encoder = JSONEncoder()
        if let bytes = try? FrameEncoder.encode(RPCReply<Empty>(id: id, error: error), with: encoder) { return bytes }
        return (try? FrameEncoder.frame(Array(#"{"v":1,"id":\#(id),"error":{"code":"service.internal","message":"An internal error occurred. Please try again later.","status":500}}"#.utf8))) ?? []
    }
}
