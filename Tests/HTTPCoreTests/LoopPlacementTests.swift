import Foundation
import LogCore
import SocketCore
import TestSupport
import Testing

@testable import HTTPCore

/// Which loop serves a new connection (issue 7): the first loop up to its share, then the loop
/// holding the fewest; checked on the policy alone and through a real server's sockets.
@Suite struct LoopPlacementTests {
    @Test func theFirstLoopFillsThenTheFewestTakeTheRest() {
        let placement = LoopPlacement(loops: 3, firstLoopConnections: 4)
        let first = (0..<4).map { _ in placement.take() }
        #expect(first == [0, 0, 0, 0])
        // Loops 1 and 2 catch up with loop 0, then all three take turns, lowest number first.
        let next = (0..<11).map { _ in placement.take() }
        #expect(next == [1, 2, 1, 2, 1, 2, 1, 2, 0, 1, 2])
        #expect(placement.counts == [5, 5, 5])
    }

    @Test func aLoopThatLostConnectionsTakesTheNextOnes() {
        let placement = LoopPlacement(loops: 2, firstLoopConnections: 2)
        #expect((0..<4).map { _ in placement.take() } == [0, 0, 1, 1])
        placement.left(0)
        placement.left(0)
        // Below its share again: the first loop takes new connections until it is back at 2.
        #expect((0..<3).map { _ in placement.take() } == [0, 0, 0])
        placement.left(1)
        #expect(placement.take() == 1)
        #expect(placement.counts == [3, 2])
    }

    @Test func zeroSpreadsFromTheFirstConnection() {
        let placement = LoopPlacement(loops: 2, firstLoopConnections: 0)
        #expect((0..<6).map { _ in placement.take() } == [0, 1, 0, 1, 0, 1])
    }

    /// A real server with two loops: each response names the loop that served it.
    @Test func aServerPlacesItsConnectionsByThePolicy() async throws {
        let group = try EventLoopGroup(threads: 2, name: "placement")
        defer { group.shutdown() }
        let config = HTTPServer.Configuration(host: "127.0.0.1", port: 0, firstLoopConnections: 2)
        let server = HTTPServer(configuration: config, loops: group.loops, logger: Logger(service: "t", sink: DiscardSink())) {
            _, context in
            .json(200, text: #"{"loop":\#(context.loopIndex),"onLoop":\#(context.loop.inEventLoop)}"#)
        }
        let address = try await server.start()
        defer { Task { await server.shutdown(grace: .seconds(1)) } }

        let served = try await onThread { () -> [String] in
            // Four connections, each asked once while all stay open.
            let sockets = try (0..<4).map { _ in try RawSocket(connectingTo: address) }
            var answers: [String] = []
            for socket in sockets {
                try socket.send("GET /which HTTP/1.1\r\nHost: x\r\n\r\n")
                answers.append(try HTTPServerTests.readOneResponse(socket))
            }
            return answers
        }
        #expect(served.map { $0.contains(#""loop":0"#) } == [true, true, false, false], "\(served)")
        #expect(served.map { $0.contains(#""loop":1"#) } == [false, false, true, true], "\(served)")
        #expect(served.allSatisfy { $0.contains(#""onLoop":true"#) })
        // Those four have closed: both loops are empty again.
        try await waitUntil("connections counted out") { server.connectionsPerLoop == [0, 0] }

        let again = try await onThread { () -> String in
            let socket = try RawSocket(connectingTo: address)
            try socket.send("GET /which HTTP/1.1\r\nHost: x\r\n\r\n")
            return try HTTPServerTests.readOneResponse(socket)
        }
        #expect(again.contains(#""loop":0"#), "\(again)")
        try await waitUntil("connection counted out") { server.connectionsPerLoop == [0, 0] }
    }
}
