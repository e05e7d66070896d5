import Contracts
import Foundation
import Testing
import TestSupport
@testable import RPCCore
@testable import SocketCore

@Suite struct RPCFailureTests {
    /// A server on its own loop whose `TestGated` handler waits for `gate`, and a client on
    /// another loop; the gate is opened and both are shut down after `body`.
    private func withGatedServer(_ body: (RPCClient, Gate) async throws -> Void) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let gate = Gate()
        let server = makeServer(path: directory.file("v.sock"), loops: [loops.loops[1]], gate: gate)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.loops[0])
        try await body(client, gate)
        gate.open()
        await client.close()
        await server.shutdown(grace: .zero)
    }

    @Test func deadlineExpiryGivesUnavailableFastWhileServerIsSlow() async throws {
        try await withGatedServer { (client, gate) async throws in
            let (error, took) = await elapsed {
                await expectServiceError("service.unavailable") {
                    _ = try await client.call(TestGated.self, Empty(), deadline: .milliseconds(100))
                }
            }
            #expect(error?.code == "service.unavailable")
            #expect(error?.status == 503)
            #expect(took >= .milliseconds(100))
            #expect(took < .seconds(10))  // generous for a loaded machine; the handler never answers
            gate.open()
            // The late reply is dropped and the connection keeps working.
            #expect(try await client.call(TestEcho.self, .init(text: "next")).text == "next")
        }
    }

    /// The client keeps one deadline for all its calls in flight: a call with a shorter deadline
    /// than those already waiting (and than one already answered) still fails at its own, and the
    /// longer one at its own after that.
    @Test func eachCallExpiresAtItsOwnDeadline() async throws {
        try await withGatedServer { (client, _) async throws in
            // Answered at once; the client's deadline stays armed for its 30 s.
            #expect(try await client.call(TestEcho.self, .init(text: "first"), deadline: .seconds(30)).text == "first")
            let expired = await withTaskGroup(of: (String, Duration)?.self) { group in
                for (name, deadline) in [("long", Duration.seconds(3)), ("short", .milliseconds(300))] {
                    group.addTask {
                        let start = ContinuousClock.now
                        let error = await expectServiceError("service.unavailable") {
                            _ = try await client.call(TestGated.self, Empty(), deadline: deadline)
                        }
                        return error?.code == "service.unavailable" ? (name, ContinuousClock.now - start) : nil
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                var all: [(String, Duration)] = []
                for await result in group { if let result { all.append(result) } }
                return all
            }
            let took = Dictionary(uniqueKeysWithValues: expired)
            #expect(took.count == 2)
            #expect((took["short"] ?? .zero) >= .milliseconds(300))
            #expect((took["short"] ?? .seconds(99)) < .seconds(20)) // not at the 30 s of the first call
            #expect((took["long"] ?? .zero) >= .seconds(3))
            #expect((took["long"] ?? .seconds(99)) < .seconds(25))
        }
    }

    @Test func serverDownGivesUnavailableImmediately() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = RPCClient(path: directory.file("nobody.sock"), loop: loop)
        let (error, took) = await elapsed {
            await expectServiceError("service.unavailable") {
                _ = try await client.call(TestEcho.self, .init(text: "x"), deadline: .seconds(60))
            }
        }
        #expect(error?.code == "service.unavailable")
        // Far below the 60 s deadline: the failed connect answers at once (the margin absorbs a
        // loaded machine, where the awaiting task itself may wait for a thread).
        #expect(took < .seconds(30))
        #expect(!client.isConnected)
        await client.close()
    }

    @Test func clientReconnectsAfterServerRestart() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let path = directory.file("v.sock")
        let first = makeServer(path: path, loops: [loops.loops[1]], name: "A")
        try await first.start()
        let client = RPCClient(path: path, loop: loops.loops[0])
        #expect(try await client.call(TestSlowIdempotent.self, .init(delayMs: 0)).server == "A")
        await first.shutdown()
        try await waitUntil("disconnect noticed") { !client.isConnected }
        let down = await expectServiceError("service.unavailable") { _ = try await client.call(TestEcho.self, .init(text: "x")) }
        #expect(down?.code == "service.unavailable")

        let second = makeServer(path: path, loops: [loops.loops[1]], name: "B")
        try await second.start()
        // The background reconnect finds the new server without any call prompting it.
        try await waitUntil("reconnected") { client.isConnected }
        #expect(try await client.call(TestSlowIdempotent.self, .init(delayMs: 0)).server == "B")
        await client.close()
        await second.shutdown()
    }

    @Test func inFlightCallsFailWithUnavailableWhenTheConnectionDrops() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let gate = Gate()
        defer { gate.open() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loops.loops[1]], gate: gate)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.loops[0])
        _ = try await client.call(TestEcho.self, .init(text: "warm"))
        async let pending = expectServiceError("service.unavailable") {
            _ = try await client.call(TestGated.self, Empty(), deadline: .seconds(60))
        }
        try await waitUntil("handler running") { server.requestsInFlight == 1 }
        let clock = ContinuousClock()
        let start = clock.now
        await server.shutdown(grace: .zero)
        let error = await pending
        #expect(error?.code == "service.unavailable")
        #expect(clock.now - start < .seconds(30))  // not the 60 s deadline
        await client.close()
    }

    @Test func idempotentCallIsRetriedOnceAfterReconnect() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let path = directory.file("v.sock")
        let held = Gate()
        defer { held.open() }
        let first = makeServer(path: path, loops: [loops.loops[1]], name: "A", gate: held)
        try await first.start()
        let client = RPCClient(path: path, loop: loops.loops[0])
        _ = try await client.call(TestEcho.self, .init(text: "warm"))
        async let answer = client.call(TestHeldIdempotent.self, Empty(), deadline: .seconds(30))
        try await waitUntil("handler running") { first.requestsInFlight == 1 }
        // A stops listening (its socket file goes away) but keeps its connection, with the call in
        // flight, for a grace far longer than the test; B takes the path; only then does a second
        // shutdown with no grace close A's connection, and the client retries on B. A's handler is
        // held by its gate, so it cannot answer first. No step depends on timing (the earlier
        // version raced a 4 s handler against a 2 s grace and lost once on a loaded CI machine).
        async let stopped: Void = first.shutdown(grace: .seconds(60))
        try await waitUntil("socket file removed") { !FileManager.default.fileExists(atPath: path) }
        let open = Gate()
        open.open()
        let second = makeServer(path: path, loops: [loops.loops[1]], name: "B", gate: open)
        try await second.start()
        await first.shutdown(grace: .zero)
        #expect(try await answer.server == "B")
        // A's handler may finish now; the first shutdown returns once it has.
        held.open()
        _ = await stopped
        await client.close()
        await second.shutdown(grace: .zero)
    }

    @Test func garbageFrameClosesOnlyThatConnection() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: loops.loops)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.loops[0])
        #expect(try await client.call(TestEcho.self, .init(text: "before")).text == "before")

        let raw = try RawSocket(connectingTo: .unix(path: server.path))
        try raw.send(try FrameEncoder.frame(Array("this is not json".utf8)))
        #expect(try raw.receiveUntilClose().isEmpty)  // no readable id: closed without a reply

        #expect(try await client.call(TestEcho.self, .init(text: "after")).text == "after")
        await client.close()
        await server.shutdown()
    }

    @Test func badJSONWithReadableIDIsAnsweredThenClosed() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let raw = try RawSocket(connectingTo: .unix(path: server.path))
        // An id but no method: the envelope is unusable, the id is not.
        try raw.send(try FrameEncoder.frame(Array(#"{"id":9,"params":{}}"#.utf8)))
        let bytes = try raw.receiveUntilClose()
        var decoder = FrameDecoder()
        let frames = try decoder.feed(bytes)
        #expect(frames.count == 1)
        let reply = try JSONDecoder().decode(RPCReplyBody<Empty>.self, from: Data(try #require(frames.first)))
        #expect(reply.id == 9)
        #expect(reply.error?.code == "guard.invalid_input")
        await server.shutdown()
    }

    @Test(arguments: [[0, 0, 0, 0] as [UInt8], [0x00, 0x10, 0x00, 0x01]])
    func badLengthClosesOnlyThatConnection(header: [UInt8]) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        let raw = try RawSocket(connectingTo: .unix(path: server.path))
        try raw.send(header + [0x7b])
        #expect(try raw.receiveUntilClose().isEmpty)
        #expect(try await client.call(TestEcho.self, .init(text: "fine")).text == "fine")
        await client.close()
        await server.shutdown()
    }

    @Test func shutdownLetsInFlightHandlersFinishAndRemovesTheSocketFile() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let gate = Gate()
        let server = makeServer(path: directory.file("v.sock"), loops: [loops.loops[1]], gate: gate)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.loops[0])
        async let answer = client.call(TestGated.self, Empty(), deadline: .seconds(20))
        try await waitUntil("handler running") { server.requestsInFlight == 1 }
        async let stopped: Void = server.shutdown(grace: .seconds(15))
        // Accepting stops first: the socket file goes while the handler is still running.
        try await waitUntil("socket file removed") { !FileManager.default.fileExists(atPath: server.path) }
        #expect(server.requestsInFlight == 1)
        gate.open()
        #expect(try await answer == Empty())
        await stopped
        await client.close()
    }
}
