import Testing

@testable import HTTPCore

@Suite struct ConnectionStateMachineTests {
    static let get1 = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
    static let get2 = "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
    static let get3 = "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test func startArmsTheIdleTimer() {
        let harness = ConnectionHarness()
        #expect(harness.timer == .idle(deadline: .seconds(60)))
    }

    @Test func deliversACompleteRequestAndCancelsTimers() {
        var harness = ConnectionHarness()
        harness.send(Self.get1)
        #expect(harness.delivered.map(\.path) == ["/1"])
        #expect(harness.timer == nil)
    }

    @Test func keepAliveConnectionStaysOpenAndArmsIdleTimerAfterResponse() {
        var harness = ConnectionHarness()
        harness.send(Self.get1)
        harness.advance(by: .seconds(5))
        harness.respond(.json(text: "{}"))
        #expect(!harness.closed && !harness.closedAfterWrite)
        #expect(harness.timer == .idle(deadline: .seconds(65)))
        #expect(!harness.writtenText.contains("Connection:"))
    }

    @Test func pipelinedRequestsAreDeliveredOneAtATimeAndAnsweredInOrder() {
        var harness = ConnectionHarness()
        harness.send(Self.get1 + Self.get2 + Self.get3)
        #expect(harness.delivered.map(\.path) == ["/1"])
        harness.respond(.json(text: #"{"n":1}"#), completeWrite: false)
        // Until the first response is written, the second request waits.
        #expect(harness.delivered.map(\.path) == ["/1"])
        harness.completeWrites()
        #expect(harness.delivered.map(\.path) == ["/1", "/2"])
        harness.respond(.json(text: #"{"n":2}"#))
        harness.respond(.json(text: #"{"n":3}"#))
        #expect(harness.delivered.map(\.path) == ["/1", "/2", "/3"])
        let bodies = harness.writtenText.split(separator: "\r\n\r\n").compactMap { $0.hasPrefix("{") ? String($0.prefix(7)) : nil }
        #expect(bodies == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        #expect(!harness.closedAfterWrite)
    }

    @Test func requestWithConnectionCloseIsAnsweredThenClosed() {
        var harness = ConnectionHarness()
        harness.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + Self.get2)
        harness.respond()
        #expect(harness.writtenText.contains("\r\nConnection: close\r\n"))
        #expect(harness.closedAfterWrite)
        #expect(harness.delivered.count == 1)
    }

    @Test func handlerCanForceClose() {
        var harness = ConnectionHarness()
        harness.send(Self.get1)
        harness.respond(HTTPResponse(status: .ok, headers: ["Connection": "close"]))
        #expect(harness.closedAfterWrite)
        #expect(harness.writtenText.ranges(of: "Connection: close").count == 1)
    }

    @Test func http10WithoutKeepAliveCloses() {
        var harness = ConnectionHarness()
        harness.send("GET / HTTP/1.0\r\n\r\n")
        harness.respond()
        #expect(harness.writtenText.contains("Connection: close"))
        #expect(harness.closedAfterWrite)
    }

    @Test func http10WithKeepAliveStaysOpen() {
        var harness = ConnectionHarness()
        harness.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        harness.respond()
        #expect(harness.writtenText.contains("\r\nConnection: keep-alive\r\n"))
        #expect(!harness.closedAfterWrite)
        harness.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(harness.delivered.map(\.path) == ["/", "/again"])
    }

    @Test func parseErrorIsAnsweredWithItsStatusThenClosed() {
        var harness = ConnectionHarness()
        harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(harness.delivered.isEmpty)
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(harness.writtenText.contains("Connection: close"))
        #expect(harness.writtenText.hasSuffix(#"{"code":"request.malformed","message":"The request is malformed."}"#))
        #expect(harness.closedAfterWrite)
    }

    @Test func oversizeContentLengthIs413BeforeTheBodyArrives() {
        var harness = ConnectionHarness()
        harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(harness.closedAfterWrite)
    }

    @Test func malformedPipelinedRequestIsAnsweredAfterTheValidOneBefore() {
        var harness = ConnectionHarness()
        harness.send(Self.get1 + "GET / HTTP/1.1\r\nHost : x\r\n\r\n")
        #expect(harness.delivered.count == 1)
        #expect(harness.written.isEmpty)
        harness.respond(.json(text: "{}"))
        let text = harness.writtenText
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"))
        #expect(harness.closedAfterWrite)
    }

    @Test func headerDeadlineAnswers408AndCloses() {
        var harness = ConnectionHarness()
        harness.send("GET / HTTP/1.1\r\nHo")
        #expect(harness.timer == .header(deadline: .seconds(10)))
        harness.advance(by: .seconds(9))
        #expect(harness.written.isEmpty)
        harness.advance(by: .seconds(1))
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(harness.writtenText.contains(#""code":"request.timeout""#))
        #expect(harness.closedAfterWrite)
    }

    @Test func headerDeadlineRunsFromTheFirstByteDespiteTrickling() {
        var harness = ConnectionHarness()
        let head = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        for byte in head {
            harness.send([byte])
            harness.advance(by: .milliseconds(100))
            if harness.closedAfterWrite { break }
        }
        // 33 bytes at 100 ms each: 3.3 s so far; keep trickling a header value.
        while !harness.closedAfterWrite && harness.now < .seconds(20) {
            harness.send("a")
            harness.advance(by: .milliseconds(500))
        }
        #expect(harness.now >= .seconds(10) && harness.now < .milliseconds(10_500))
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 408 "))
    }

    @Test func slowBodyAlsoHitsTheDeadline() {
        var harness = ConnectionHarness()
        harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        harness.advance(by: .seconds(10))
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 408 "))
    }

    @Test func idleConnectionClosesSilently() {
        var harness = ConnectionHarness()
        harness.advance(by: .seconds(59))
        #expect(!harness.closed)
        harness.advance(by: .seconds(1))
        #expect(harness.closed)
        #expect(harness.written.isEmpty)
    }

    @Test func idleTimerRestartsAfterEachResponse() {
        var harness = ConnectionHarness()
        harness.advance(by: .seconds(50))
        harness.send(Self.get1)
        harness.respond()
        harness.advance(by: .seconds(50))
        #expect(!harness.closed)
        harness.advance(by: .seconds(10))
        #expect(harness.closed)
    }

    @Test func noTimerRunsWhileAHandlerIsBusy() {
        var harness = ConnectionHarness()
        harness.send(Self.get1)
        harness.advance(by: .seconds(600))
        #expect(!harness.closed && !harness.closedAfterWrite)
        harness.respond()
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 204 No Content\r\n"))
    }

    @Test func staleTimerEventsAreIgnored() {
        var harness = ConnectionHarness()
        harness.send(Self.get1)
        harness.event(.headerDeadlinePassed)
        harness.event(.idleTimeoutPassed)
        #expect(!harness.closed && !harness.closedAfterWrite && harness.written.isEmpty)
    }

    @Test func unexpectedResponseIsIgnored() {
        var harness = ConnectionHarness()
        harness.event(.responseReady(.noContent(), for: HTTPRequest(method: "GET", target: "/")))
        #expect(harness.written.isEmpty)
    }

    @Test func partialNextRequestArmsHeaderDeadlineAfterResponse() {
        var harness = ConnectionHarness()
        harness.send(Self.get1 + "GET /2 HT")
        harness.respond()
        #expect(harness.timer == .header(deadline: .seconds(10)))
        harness.send("TP/1.1\r\nHost: x\r\n\r\n")
        #expect(harness.delivered.map(\.path) == ["/1", "/2"])
    }

    @Test func readingPausesWhenTooMuchIsBufferedAndResumesOnceConsumed() {
        var harness = ConnectionHarness(configuration: .init(maxBufferedBytes: 100))
        harness.send(Self.get1)
        // 5 pipelined requests of 28 bytes = 140 buffered > 100 while /1 is in flight.
        let queued = (0..<5).map { "GET /q\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        harness.send(queued)
        #expect(harness.paused)
        harness.respond()
        #expect(harness.paused, "116 bytes still wait while /q0 is handled")
        harness.respond()
        #expect(!harness.paused)
        while !harness.inFlight.isEmpty { harness.respond() }
        #expect(harness.delivered.map(\.path) == ["/1", "/q0", "/q1", "/q2", "/q3", "/q4"])
        #expect(harness.actionLog.filter { $0 == .pauseReading }.count == 1)
        #expect(harness.actionLog.filter { $0 == .resumeReading }.count == 1)
    }

    @Test func halfClosedPeerStillGetsBufferedRequestsAnswered() {
        var harness = ConnectionHarness()
        harness.send(Self.get1 + Self.get2)
        harness.event(.inputClosed)
        harness.respond()
        harness.respond()
        #expect(harness.delivered.map(\.path) == ["/1", "/2"])
        #expect(harness.closed)
        #expect(harness.writtenText.ranges(of: "HTTP/1.1 204").count == 2)
    }

    @Test func peerClosingMidRequestClosesWithoutAnswer() {
        var harness = ConnectionHarness()
        harness.send("GET / HTTP/1.1\r\n")
        harness.event(.inputClosed)
        #expect(harness.closed)
        #expect(harness.written.isEmpty)
    }

    @Test func shutdownClosesAnIdleConnectionAtOnce() {
        var harness = ConnectionHarness()
        harness.event(.shutdownRequested)
        #expect(harness.closed)
    }

    @Test func shutdownLetsTheRequestInFlightFinishWithConnectionClose() {
        var harness = ConnectionHarness()
        harness.send(Self.get1 + Self.get2)
        harness.event(.shutdownRequested)
        #expect(!harness.closed)
        harness.respond()
        #expect(harness.writtenText.contains("Connection: close"))
        #expect(harness.closedAfterWrite)
        #expect(harness.delivered.count == 1)
    }

    @Test func expectContinueGets100BeforeTheBody() {
        var harness = ConnectionHarness()
        harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(harness.writtenText == "HTTP/1.1 100 Continue\r\n\r\n")
        harness.completeWrites()
        harness.send("hi")
        #expect(harness.delivered.first?.body == Array("hi".utf8))
    }

    @Test func headRequestGetsNoBody() {
        var harness = ConnectionHarness()
        harness.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        harness.respond(.json(text: "{}"))
        #expect(harness.writtenText.hasSuffix("Content-Length: 2\r\n\r\n"))
    }

    @Test func eventsAfterCloseAreIgnored() {
        var harness = ConnectionHarness()
        harness.send("BAD\r\n\r\n")
        #expect(harness.closedAfterWrite)
        let before = harness.actionLog.count
        harness.send(Self.get1)
        harness.event(.writeCompleted)
        harness.event(.idleTimeoutPassed)
        #expect(harness.actionLog.count == before)
    }
}
