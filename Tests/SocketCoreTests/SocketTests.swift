import Foundation
import Testing
import TestSupport
@testable import SocketCore

@Suite struct SocketTests {
    @Test func tcpEchoServesManyConcurrentClientsOnPortZero() async throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let first = try await startEchoListener(on: group.loops[0], address: .ip(host: "127.0.0.1", port: 0))
        let port = try await group.loops[0].submit { first.value.address.port ?? 0 }
        #expect(port > 0)
        // SO_REUSEPORT: the second loop owns a listener on the same port.
        let second = try await startEchoListener(on: group.loops[1], address: .ip(host: "127.0.0.1", port: port))
        defer { Task { await closeListener(first); await closeListener(second) } }

        let clients = try EventLoopGroup(threads: 2)
        defer { clients.shutdown() }
        let results = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            for index in 0..<200 {
                tasks.addTask {
                    let payload = pattern(4096 + index * 37, seed: UInt8(truncatingIfNeeded: index))
                    let echoed = try await roundTrip(payload, to: .ip(host: "127.0.0.1", port: port), on: clients.next())
                    return echoed == payload
                }
            }
            var all: [Bool] = []
            for try await ok in tasks { all.append(ok) }
            return all
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0 })
    }

    @Test func ipv6LoopbackEcho() async throws {
        let loop = try EventLoop(name: "v6")
        defer { loop.shutdown() }
        let listener: LoopBound<Listener>
        do {
            listener = try await startEchoListener(on: loop, address: .ip(host: "::1", port: 0))
        } catch let error as SocketError where error.errno == EADDRNOTAVAIL || error.errno == EAFNOSUPPORT {
            return  // no IPv6 on this machine; nothing to test
        }
        let address = try await loop.submit { listener.value.address }
        let echoed = try await roundTrip(Array("hello v6".utf8), to: address, on: loop)
        #expect(echoed == Array("hello v6".utf8))
        await closeListener(listener)
    }

    @Test func largeWriteArrivesIntactThroughPartialWrites() async throws {
        let loop = try EventLoop(name: "big")
        defer { loop.shutdown() }
        let listener = try await startEchoListener(on: loop, address: .ip(host: "127.0.0.1", port: 0))
        let address = try await loop.submit { listener.value.address }
        let clientLoop = try EventLoop(name: "big-client")
        defer { clientLoop.shutdown() }
        let payload = pattern(6 * 1024 * 1024 + 13)
        let echoed = try await roundTrip(payload, to: address, on: clientLoop)
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)
        await closeListener(listener)
    }

    @Test func parsesHostPortForms() throws {
        #expect(try SocketAddress.parse("127.0.0.1:8080") == .ip(host: "127.0.0.1", port: 8080))
        #expect(try SocketAddress.parse("[::1]:9") == .ip(host: "::1", port: 9))
        #expect(try SocketAddress.parse(":0") == .ip(host: "0.0.0.0", port: 0))
        #expect(try SocketAddress.parse("localhost:1") == .ip(host: "127.0.0.1", port: 1))
        #expect(throws: SocketError.self) { try SocketAddress.parse("127.0.0.1") }
        #expect(throws: SocketError.self) { try SocketAddress.parse("1.2.3.4:70000") }
    }

    @Test func pausedReadingHoldsBytesUntilResumed() async throws {
        let loop = try EventLoop(name: "pause")
        defer { loop.shutdown() }
        let received = Recorder<[UInt8]>()
        let serverSide = Recorder<LoopBound<StreamConnection>>()
        let listener = try await loop.submit {
            LoopBound(try Listener.tcp(.ip(host: "127.0.0.1", port: 0), on: loop) { accepted in
                guard let connection = try? StreamConnection(accepted: accepted, on: loop) else { return }
                connection.pauseReading()
                connection.onRead = { received.append(Array($0)) }
                serverSide.append(LoopBound(connection, loop: loop))
            }, loop: loop)
        }
        let address = try await loop.submit { listener.value.address }
        let client = try RawSocket(connectingTo: address)
        try client.send("first")
        try await waitUntil("accept") { serverSide.count == 1 }
        // Give the kernel ample chance to report the bytes; paused, nothing may be delivered.
        try await loop.submit { }
        try await Task.sleep(for: .milliseconds(50))
        #expect(received.count == 0)
        let connection = try #require(serverSide.all.first)
        try await loop.submit { connection.value.resumeReading() }
        try await waitUntil("bytes after resume") { received.all.joined().count == 5 }
        #expect(Array(received.all.joined()) == Array("first".utf8))
        try await loop.submit { connection.value.close(.immediately); listener.value.close() }
    }

    @Test func lingeringCloseDeliversFinalBytesDespiteUnreadInput() async throws {
        let loop = try EventLoop(name: "linger")
        defer { loop.shutdown() }
        let finalResponse = Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)
        let listener = try await loop.submit {
            LoopBound(try Listener.tcp(.ip(host: "127.0.0.1", port: 0), on: loop) { accepted in
                guard let connection = try? StreamConnection(accepted: accepted, on: loop) else { return }
                connection.onRead = { [unowned connection] _ in
                    // Answer at the first byte and close while the client is still sending.
                    connection.write(finalResponse)
                    connection.close(.lingering(.seconds(2)))
                }
            }, loop: loop)
        }
        let address = try await loop.submit { listener.value.address }
        let client = try RawSocket(connectingTo: address)
        try client.send(pattern(1000))
        // More input arrives after the answer; a plain close() with unread data would send RST and
        // the client could lose the response.
        try? client.send(pattern(200_000))
        let reply = try client.receiveUntilClose()
        #expect(reply == finalResponse)
        try await loop.submit { listener.value.close() }
    }

    @Test func peerSeesEndOfStreamAfterHalfClose() async throws {
        let loop = try EventLoop(name: "half")
        defer { loop.shutdown() }
        let listener = try await loop.submit {
            LoopBound(try Listener.tcp(.ip(host: "127.0.0.1", port: 0), on: loop) { accepted in
                guard let connection = try? StreamConnection(accepted: accepted, on: loop) else { return }
                connection.write(Array("bye".utf8))
                connection.shutdownWrite()
                connection.onRead = { [unowned connection] chunk in
                    if Array(chunk) == Array("done".utf8) { connection.close(.immediately) }
                }
            }, loop: loop)
        }
        let address = try await loop.submit { listener.value.address }
        let client = try RawSocket(connectingTo: address)
        #expect(try client.receiveUntilClose() == Array("bye".utf8))
        // Our side can still send after the server half-closed.
        try client.send("done")
        try await loop.submit { listener.value.close() }
    }

    @Test func closeCallbackFiresExactlyOnce() async throws {
        let loop = try EventLoop(name: "once")
        defer { loop.shutdown() }
        let closes = Recorder<Bool>()
        let listener = try await loop.submit {
            LoopBound(try Listener.tcp(.ip(host: "127.0.0.1", port: 0), on: loop) { accepted in
                guard let connection = try? StreamConnection(accepted: accepted, on: loop) else { return }
                connection.onClose = { closes.append($0 == nil) }
                connection.onRead = { [unowned connection] _ in
                    connection.close(.afterWrites)
                    connection.close(.immediately)
                    connection.close(.lingering(.seconds(1)))
                }
            }, loop: loop)
        }
        let address = try await loop.submit { listener.value.address }
        let client = try RawSocket(connectingTo: address)
        try client.send("x")
        _ = try client.receiveUntilClose()
        try await waitUntil("close") { closes.count >= 1 }
        try await loop.submit { listener.value.close() }
        #expect(closes.all == [true])
    }

    @Test func listenerAboveLimitClosesNewConnectionsAtOnce() async throws {
        let loop = try EventLoop(name: "limit")
        defer { loop.shutdown() }
        let limit = ConnectionLimit(maximum: 2)
        let accepted = Recorder<LoopBound<StreamConnection>>()
        let listener = try await loop.submit {
            LoopBound(try Listener.tcp(.ip(host: "127.0.0.1", port: 0), on: loop, limit: limit) { socket in
                guard let connection = try? StreamConnection(accepted: socket, on: loop) else { return }
                accepted.append(LoopBound(connection, loop: loop))
            }, loop: loop)
        }
        let address = try await loop.submit { listener.value.address }
        let keep = try (0..<2).map { _ in try RawSocket(connectingTo: address) }
        try await waitUntil("two accepted") { accepted.count == 2 }
        let extra = try RawSocket(connectingTo: address)
        #expect(try extra.receiveUntilClose().isEmpty)  // closed by the server, not left hanging
        #expect(limit.current == 2)
        // Closing one frees a slot.
        let first = try #require(accepted.all.first)
        try await loop.submit { first.value.close(.immediately) }
        #expect(limit.current == 1)
        let again = try RawSocket(connectingTo: address)
        try await waitUntil("third accepted") { accepted.count == 3 }
        _ = (keep, again)
        try await loop.submit {
            for connection in accepted.all { connection.value.close(.immediately) }
            listener.value.close()
        }
    }
}
