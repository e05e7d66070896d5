import Foundation
import Glibc
import Testing

/// 5,000 connections held open at once — idle ones and ones stuck half-way through their headers
/// — while ordinary clients keep being served (docs/RELIABILITY.md "Connection floods").
@Suite(.serialized, .heavy) struct ConnectionFloodTests {
    static let connections = 5_000

    /// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit now in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// A blocking TCP connection to 127.0.0.1:`port` with 10 s send/receive timeouts, or -1.
    static func connectSocket(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads one response with a Content-Length from a kept-alive connection.
    static func readResponse(_ fd: Int32) -> HTTPTestResponse? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let r = HTTPTestClient.parse(received), let length = Int(r.header("content-length") ?? ""), r.body.count >= length {
                return r
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            received += chunk[0..<n]
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func fiveThousandOpenConnectionsLeaveTheGatewayUpAndServing() async throws {
        let limit = Self.raiseDescriptorLimit()
        try #require(limit >= Self.connections + 500, "RLIMIT_NOFILE is \(limit)")
        let p = try await PasscodeProcess.launch(environment: ["PASSCODE_LOG_LEVEL": "info"])
        defer { p.stop() }
        let gatewayPID = try #require(p.childPID("gateway"))
        let port = p.port

        let held: [Int32] = await LoadRun.blocking {
            var fds: [Int32] = []
            fds.reserveCapacity(Self.connections)
            for i in 0..<Self.connections {
                let fd = Self.connectSocket(port: port)
                if fd < 0 { break }
                fds.append(fd)
                // Every other one stalls in the middle of its header section (slowloris).
                if i % 2 == 1 { _ = Self.send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
            }
            return fds
        }
        defer { for fd in held { close(fd) } }
        #expect(held.count == Self.connections, "only \(held.count) connections opened")

        // New clients are served while all of them are open.
        let client = PasscodeClient(p)
        for _ in 0..<20 {
            let started = Date()
            #expect(try client.http.request("GET", "/healthz").status == 200)
            #expect(Date().timeIntervalSince(started) < 5)
        }
        let email = uniqueEmail("flood")
        #expect(try client.send(email: email).status == 204)
        #expect(try client.verify(email: email, code: try #require(p.code(for: email))).status == 204)

        // Held idle connections still work: a request on every tenth even one is answered.
        let answered = await LoadRun.blocking {
            var ok = 0
            for index in stride(from: 0, to: held.count, by: 20) {
                guard Self.send(held[index], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") else { continue }
                if Self.readResponse(held[index])?.status == 200 { ok += 1 }
            }
            return ok
        }
        #expect(answered == (held.count + 19) / 20, "\(answered) of \((held.count + 19) / 20) held connections answered")
        #expect(p.childPID("gateway") == gatewayPID, "the gateway was restarted")
        #expect(kill(gatewayPID, 0) == 0)
    }
}
