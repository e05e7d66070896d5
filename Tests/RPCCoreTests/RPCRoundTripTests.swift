import Contracts
import Foundation
import Testing
import TestSupport
@testable import RPCCore
@testable import SocketCore

@Suite struct RPCRoundTripTests {
    @Test func callReturnsTheHandlersResult() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: loops.loops)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.next())
        let result = try await client.call(TestEcho.self, .init(text: "hello"))
        #expect(result == .init(text: "hello", onLoop: true))
        await client.close()
        await server.shutdown()
    }

    @Test func thousandConcurrentCallsOnOneClientAllGetTheirOwnReply() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: loops.loops)
        try await server.start()
        let client = RPCClient(path: server.path, loop: loops.loops[0])
        let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    // Random short delays make the server answer out of order.
                    let reply = try await client.call(TestEcho.self, .init(text: "call-\(index)", delayMs: Int.random(in: 0...20)),
                                                      deadline: .seconds(10))
                    return reply.text == "call-\(index)"
                }
            }
            var bad = 0
            for try await ok in group where !ok { bad += 1 }
            return bad
        }
        #expect(mismatches == 0)
        await client.close()
        await server.shutdown()
    }

    @Test func callFromATaskOnTheClientLoopStaysOnThatLoop() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loops = try EventLoopGroup(threads: 2)
        defer { loops.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loops.loops[1]])
        try await server.start()
        let loop = loops.loops[0]
        let client = RPCClient(path: server.path, loop: loop)
        let stayed = try await Task(executorPreference: loop) { () -> Bool in
            var all = loop.inEventLoop
            for index in 0..<20 {
                _ = try await client.call(TestEcho.self, .init(text: "\(index)"))
                all = all && loop.inEventLoop
            }
            return all
        }.value
        #expect(stayed)
        await client.close()
        await server.shutdown()
    }

    @Test func serviceErrorArrivesUnchanged() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        let error = await expectServiceError("verification_code.code_mismatch") { _ = try await client.call(TestFail.self, Empty()) }
        #expect(error == ServiceError.codeMismatch.with(details: "attempt 2 of 10"))
        await client.close()
        await server.shutdown()
    }

    @Test func otherErrorsBecomeInternalError() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        let error = await expectServiceError("service.internal") { _ = try await client.call(TestCrash.self, Empty()) }
        #expect(error == .internalError)
        await client.close()
        await server.shutdown()
    }

    @Test func unknownMethodIsAnsweredWithRpcUnknownMethod() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        let error = await expectServiceError("rpc.unknown_method") { _ = try await client.call(TestMissing.self, Empty()) }
        #expect(error?.code == "rpc.unknown_method")
        // The connection stays usable.
        #expect(try await client.call(TestEcho.self, .init(text: "after")).text == "after")
        await client.close()
        await server.shutdown()
    }

    @Test func malformedParamsGiveInvalidInputNamingTheField() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        let error = await expectServiceError("guard.invalid_input") {
            _ = try await client.call(TestEchoWrongShape.self, .init(text: 12345))
        }
        #expect(error?.code == "guard.invalid_input")
        #expect(error?.details?.contains("text") == true)
        #expect(error?.details?.contains("12345") == false)
        await client.close()
        await server.shutdown()
    }

    @Test func healthProbeAnswersWhenServerIsUp() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let server = makeServer(path: directory.file("v.sock"), loops: [loop])
        try await server.start()
        let client = RPCClient(path: server.path, loop: loop)
        #expect(await client.isHealthy())
        #expect(client.isConnected)
        await server.shutdown()
        try await waitUntil("disconnect noticed") { !client.isConnected }
        #expect(await client.isHealthy() == false)
        await client.close()
    }
}
