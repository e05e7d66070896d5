import Foundation
import LogCore
import SocketCore
import TestSupport
import Testing

@testable import HTTPCore

/// Runs blocking socket work on a thread of its own, so a test never holds one of the few threads of
/// the cooperative pool (other tests' tasks and the server's handlers need them).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}

/// The server over real sockets: keep-alive, pipelining in order, smuggling shapes answered 400 and
/// closed, the header deadline (slowloris), limits, and that handlers run on the connection's loop.
@Suite struct HTTPServerTests {
    static func withServer(
        headerTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(60), maxConnections: Int = 100,
        _ body: (SocketAddress) async throws -> Void
    ) async throws {
        let group = try EventLoopGroup(threads: 2, name: "http-test")
        defer { group.shutdown() }
        let config = HTTPServer.Configuration(host: "127.0.0.1", port: 0, headerTimeout: headerTimeout, idleTimeout: idleTimeout,
                                              maxConnections: maxConnections)
        let server = HTTPServer(configuration: config, loops: group.loops, logger: Logger(service: "test", sink: DiscardSink())) { request, context in
            // Slow down "/slow" so pipelined answers would come out of order if the server let them.
            if request.path == "/slow" { try? await Task.sleep(for: .milliseconds(50)) }
            let onLoop = context.loop.inEventLoop
            return .json(200, text: #"{"path":"\#(request.path)","onLoop":\#(onLoop),"body":\#(request.body.count)}"#)
        }
        let address = try await server.start()
        try await body(address)
        await server.shutdown(grace: .seconds(1))
    }

    static func responses(in bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0 }
    }

    /// Sends `raw` on a fresh connection and returns everything until the server closes.
    static func exchange(_ address: SocketAddress, _ raw: String) async throws -> String {
        try await onThread {
            let socket = try RawSocket(connectingTo: address)
            try socket.send(raw)
            return String(decoding: try socket.receiveUntilClose(), as: UTF8.self)
        }
    }

    /// Reads from `socket` until one JSON response body has arrived.
    static func readOneResponse(_ socket: RawSocket) throws -> String {
        var got: [UInt8] = []
        while !String(decoding: got, as: UTF8.self).contains("}") { got += try socket.receive() }
        return String(decoding: got, as: UTF8.self)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnectionOnTheLoopThread() async throws {
        try await Self.withServer { address in
            let texts = try await onThread {
                let socket = try RawSocket(connectingTo: address)
                return try (0..<3).map { i in
                    try socket.send("GET /r\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
                    return try Self.readOneResponse(socket)
                }
            }
            for (i, text) in texts.enumerated() {
                #expect(text.hasPrefix("HTTP/1.1 200"))
                #expect(text.contains(#""path":"/r\#(i)""#))
                #expect(text.contains(#""onLoop":true"#))
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await Self.withServer { address in
            let text = try await Self.exchange(address,
                "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let all = Self.responses(in: Array(text.utf8))
            #expect(all.count == 3)
            #expect(all.map { $0.contains("/slow") } == [true, false, false])
            #expect(all.last?.contains("/last") == true)
        }
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
    ])
    func smugglingShapesGet400AndTheConnectionCloses(_ raw: String) async throws {
        try await Self.withServer { address in
            let all = Self.responses(in: Array(try await Self.exchange(address, raw + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n").utf8))
            #expect(all.count == 1)
            #expect(all.first?.hasPrefix("HTTP/1.1 400") == true)
            #expect(all.first?.contains("request.malformed") == true)
        }
    }

    @Test func slowHeadersGet408AndAreClosed() async throws {
        try await Self.withServer(headerTimeout: .milliseconds(300)) { address in
            let (text, took) = try await elapsed { try await Self.exchange(address, "GET / HTTP/1.1\r\nHost: x\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(took < .seconds(5))
        }
    }

    /// The idle timeout runs from the last response, not the first: a request made before the
    /// first response's timeout keeps the connection (the loop timer armed after that response
    /// fires, finds the deadline moved and waits again), and the connection closes one timeout after
    /// the second response.
    @Test func idleTimeoutCountsFromTheLastResponse() async throws {
        try await Self.withServer(idleTimeout: .seconds(2)) { address in
            let (second, closedAfter) = try await onThread {
                let socket = try RawSocket(connectingTo: address)
                try socket.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try Self.readOneResponse(socket)
                Thread.sleep(forTimeInterval: 0.8)
                try socket.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
                let second = try Self.readOneResponse(socket)
                let answered = ContinuousClock.now
                let rest = try socket.receiveUntilClose()
                return (second + String(decoding: rest, as: UTF8.self), ContinuousClock.now - answered)
            }
            #expect(second.hasPrefix("HTTP/1.1 200"))
            #expect(second.contains(#""path":"/b""#))
            // Closed at the first response's deadline, that would be 1.2 s after the second.
            #expect(closedAfter >= .milliseconds(1600))
            #expect(closedAfter < .seconds(30))
        }
    }

    @Test func oversizeBodyIs413BeforeReadingIt() async throws {
        try await Self.withServer { address in
            let text = try await Self.exchange(address, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 413"))
        }
    }

    @Test func chunkedBodiesAreDecoded() async throws {
        try await Self.withServer { address in
            let text = try await Self.exchange(address,
                "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(text.contains(#""body":5"#))
        }
    }

    @Test func connectionsOverTheLimitAreClosedAndTheServerKeepsServing() async throws {
        try await Self.withServer(maxConnections: 4) { address in
            let (extra, still) = try await onThread { () throws -> (Int, String) in
                let held = try (0..<4).map { _ in try RawSocket(connectingTo: address) }
                // Each held connection completes a keep-alive request, so all four are surely accepted.
                for socket in held {
                    try socket.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
                    _ = try Self.readOneResponse(socket)
                }
                let extra = try RawSocket(connectingTo: address).receiveUntilClose().count
                try held[0].send("GET /still HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return (extra, String(decoding: try held[0].receiveUntilClose(), as: UTF8.self))
            }
            #expect(extra == 0)
            #expect(still.contains("/still"))
        }
    }

    @Test func portInUseFailsToStart() async throws {
        try await Self.withServer { address in
            let group = try EventLoopGroup(threads: 1, name: "second")
            defer { group.shutdown() }
            let config = HTTPServer.Configuration(host: "127.0.0.1", port: address.port ?? 0)
            let second = HTTPServer(configuration: config, loops: group.loops, logger: Logger(service: "t", sink: DiscardSink())) { _, _ in
                .noContent()
            }
            await #expect(throws: (any Error).self) { try await second.start() }
        }
    }
}
