import Foundation
import Testing
@testable import ConnectorService

/// Response parsing over a real socket pair: the bytes a server would send, then its close.
@Suite("HTTP response reader")
struct HTTPResponseReaderTests {
    static func read(_ text: String) -> Result<(response: HTTPResponse, reusable: Bool), DeliveryFailure> {
        read(Array(text.utf8))
    }

    static func read(_ bytes: [UInt8]) -> Result<(response: HTTPResponse, reusable: Bool), DeliveryFailure> {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return .failure(.permanent("socketpair failed")) }
        defer { close(fds[1]) }
        // Small inputs fit the socket buffer, so this write does not block.
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        guard written == bytes.count else { return .failure(.permanent("short write")) }
        shutdown(fds[1], Int32(SHUT_WR))
        let socket = ClientSocket(connectedFD: fds[0], label: "t")
        defer { socket.close() }
        return Result { () throws(DeliveryFailure) in try HTTPResponseReader(socket: socket, label: "t", until: .now + .seconds(2)).read() }
    }

    @Test func contentLengthBodyOnHTTP11IsReusable() throws {
        let (response, reusable) = try Self.read("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Message-Id: m1\r\n\r\nok").get()
        #expect(response.status == 201)
        #expect(response.body == Array("ok".utf8))
        #expect(response.header("x-message-id") == "m1")
        #expect(response.header("X-MESSAGE-ID") == "m1")
        #expect(reusable)
    }

    @Test func connectionCloseOrHTTP10IsNotReusable() throws {
        #expect(try !Self.read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").get().reusable)
        #expect(try !Self.read("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").get().reusable)
        #expect(try Self.read("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").get().reusable)
    }

    @Test func bodyWithoutFramingRunsToTheClose() throws {
        let (response, reusable) = try Self.read("HTTP/1.1 200 OK\r\n\r\nuntil the end").get()
        #expect(response.body == Array("until the end".utf8))
        #expect(!reusable)
    }

    @Test func interimResponsesAreSkipped() throws {
        let (response, _) = try Self.read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").get()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test func repeatedFieldsAreJoinedAndFoldedLinesUnfolded() throws {
        let (response, _) = try Self.read("HTTP/1.1 200 OK\r\nVary: a\r\nVary: b\r\nX-Long: one\r\n two\r\nContent-Length: 0\r\n\r\n").get()
        #expect(response.header("vary") == "a, b")
        #expect(response.header("x-long") == "one two")
    }

    @Test func chunkedWithExtensionsAndTrailersIsDecoded() throws {
        let (response, reusable) = try Self.read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n").get()
        #expect(response.body == Array("abc0123456789".utf8))
        #expect(reusable)
    }

    @Test(arguments: [
        "", "\r\n", "garbage\r\n\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFF\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ])
    func malformedOrTruncatedResponseIsATransientFailure(text: String) {
        guard case .failure(let failure) = Self.read(text) else {
            Issue.record("accepted: \(text.debugDescription)")
            return
        }
        #expect(failure.isRetryable)
        #expect(failure.reason.hasPrefix("t: "))
    }

    @Test func headerSectionBeyondTheLimitsIsRefused() {
        let longLine = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        let manyFields = "HTTP/1.1 200 OK\r\n" + String(repeating: "X: y\r\n", count: 101) + "\r\n"
        let manyInterim = String(repeating: "HTTP/1.1 100 Continue\r\n" + String(repeating: "X: \(String(repeating: "z", count: 1000))\r\n", count: 10) + "\r\n",
                                 count: 8) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        for text in [longLine, manyFields, manyInterim] {
            guard case .failure(let failure) = Self.read(text) else {
                Issue.record("accepted a header section of \(text.utf8.count) bytes")
                continue
            }
            #expect(failure.reason.contains("over-large"))
        }
    }

    @Test func randomBytesNeverCrashTheReader() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bytes = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8)
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            // Any outcome but a crash or a hang is fine.
            _ = Self.read(bytes)
        }
    }
}

@Suite("HTTP endpoint and request")
struct HTTPEndpointTests {
    @Test(arguments: [
        ("http://example.com", false, "example.com", 80, "/", "example.com"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", true, "api.twilio.com", 443,
         "/2010-04-01/Accounts/AC1/Messages.json", "api.twilio.com"),
        ("http://user:secret@127.0.0.1:8080/h?x=1#frag", false, "127.0.0.1", 8080, "/h?x=1", "127.0.0.1:8080"),
        ("https://[::1]:8443/v3/mail/send", true, "::1", 8443, "/v3/mail/send", "[::1]:8443"),
        ("HTTPS://Example.com:443?q", true, "Example.com", 443, "/?q", "Example.com"),
    ])
    func endpointIsTakenFromTheURL(url: String, secure: Bool, host: String, port: Int, target: String, hostHeader: String) throws {
        let endpoint = try HTTPEndpoint(try #require(URL(string: url)), label: "t")
        #expect(endpoint.secure == secure)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.target == target)
        #expect(endpoint.hostHeader == hostHeader)
    }

    @Test(arguments: ["ftp://example.com/", "http://:80/", "http://example.com:0/", "http://example.com:99999/"])
    func unusableURLIsAPermanentFailure(url: String) throws {
        // A URL that Foundation already refuses never reaches the client.
        guard let parsed = URL(string: url) else { return }
        #expect(throws: DeliveryFailure.self) { try HTTPEndpoint(parsed, label: "t") }
    }

    @Test func requestCarriesTheFixedHeadersAndTheBody() throws {
        let endpoint = try HTTPEndpoint(try #require(URL(string: "https://hooks.example:8443/e?a=b")), label: "t")
        let bytes = try HTTPClient(label: "t").requestBytes(endpoint, headers: ["Authorization": "Bearer k", "Host": "evil"], body: Array("{}".utf8))
        #expect(String(decoding: bytes, as: UTF8.self) == "POST /e?a=b HTTP/1.1\r\nHost: hooks.example:8443\r\nUser-Agent: passcode-connector\r\n"
            + "Connection: keep-alive\r\nContent-Length: 2\r\nAuthorization: Bearer k\r\n\r\n{}")
    }

    @Test(arguments: [["X-Bad": "a\r\nInjected: yes"], ["Bad Name": "v"], ["": "v"], ["X": "nul\u{0}"]])
    func headerThatCouldInjectFieldsIsRefused(headers: [String: String]) throws {
        let endpoint = try HTTPEndpoint(try #require(URL(string: "http://example.com/")), label: "t")
        #expect(throws: DeliveryFailure.permanent("t: a request header is not valid")) {
            try HTTPClient(label: "t").requestBytes(endpoint, headers: headers, body: [])
        }
    }
}
