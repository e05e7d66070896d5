import Foundation
import Glibc
import SocketCore
import TestSupport

/// One request per connection with a hard deadline, reporting what happened instead of throwing,
/// so a load run can account for every request it made.
struct WireClient: Sendable {
    let host: String
    let port: Int
    var timeout: Double = 20

    func perform(_ method: String, _ path: String, json: String? = nil, headers: [(String, String)] = []) -> RequestOutcome {
        exchange(HTTPTestClient.requestBytes(method, path, host: host, port: port, json: json, headers: headers))
    }

    func exchange(_ bytes: [UInt8]) -> RequestOutcome {
        let deadline = Date().addingTimeInterval(timeout)
        // Short socket timeouts, so the loops below can watch the request's own deadline.
        let socket: RawSocket
        do {
            socket = try RawSocket(connectingTo: .ip(host: host, port: port), timeout: .seconds(1))
        } catch let failure as RawSocket.Failure {
            return failure.call == "connect" ? .refused : .dropped
        } catch {
            return .dropped
        }
        defer { withExtendedLifetime(socket) {} }
        let fd = socket.fd
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0, errno == EAGAIN || errno == EINTR, Date() < deadline { continue }
            // The server may have answered and closed early; read what is there.
            break
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            if let r = HTTPTestClient.parse(received), let length = Int(r.header("content-length") ?? ""), r.body.count >= length {
                return .answered(r)
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n > 0 {
                received += chunk[0..<n]
                continue
            }
            if n < 0, errno == EAGAIN || errno == EINTR {
                if Date() < deadline { continue }
                return .timedOut
            }
            // EOF or reset: a response without Content-Length ends here, anything else is cut short.
            if n == 0, let r = HTTPTestClient.parse(received), r.header("content-length") == nil { return .answered(r) }
            return .dropped
        }
    }
}
