import Foundation
import Glibc
import SocketCore
import TestSupport

struct HTTPTestResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    var code: String? { json?["code"] as? String }
}

/// A deliberately simple HTTP/1.1 client over a blocking socket, one request per connection, so
/// tests see exactly what went over the wire (and can send malformed bytes on purpose).
struct HTTPTestClient: Sendable {
    let host: String
    let port: Int
    var timeout: Double = 10

    func request(_ method: String, _ path: String, json: String? = nil, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        let raw = try exchange(Self.requestBytes(method, path, host: host, port: port, json: json, headers: headers))
        guard let response = Self.parse(raw) else { throw E2EError.http("unparseable response: \(String(decoding: raw.prefix(200), as: UTF8.self))") }
        return response
    }

    /// One request with `Connection: close`: a JSON body when given, `Content-Length: 0` for a
    /// bodiless POST or PUT.
    static func requestBytes(_ method: String, _ path: String, host: String, port: Int, json: String?,
                             headers: [(String, String)]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var body: [UInt8] = []
        if let json {
            body = Array(json.utf8)
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method == "POST" || method == "PUT" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Sends raw bytes and returns everything read until the server closes (or the timeout).
    func exchange(_ bytes: [UInt8]) throws -> [UInt8] {
        let socket: RawSocket
        do {
            socket = try RawSocket(connectingTo: .ip(host: host, port: port), timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw E2EError.http("\(error)")
        }
        let fd = socket.fd
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            out += chunk[0..<n]
            if let r = Self.parse(out), let length = Int(r.header("content-length") ?? ""), r.body.count >= length { break }
        }
        withExtendedLifetime(socket) {}
        return out
    }

    /// Parses one response; nil if incomplete.
    static func parse(_ raw: [UInt8]) -> HTTPTestResponse? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == crlf2 }) else { return nil }
        let head = String(decoding: raw[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(raw[(end + 4)...])
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            guard body.count >= length else { return HTTPTestResponse(status: status, headers: headers, body: body) }
            body = Array(body.prefix(length))
        }
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }
}

/// The Management and Experience APIs as a Logto client would call them.
struct PasscodeClient: Sendable {
    let http: HTTPTestClient
    var apiKey = "e2e-key-123456"
    var cookie: String?

    init(_ instance: PasscodeProcess) {
        http = HTTPTestClient(host: instance.host, port: instance.port)
    }

    var auth: [(String, String)] { [("Authorization", "Bearer \(apiKey)")] }

    func send(email: String) throws -> HTTPTestResponse {
        try http.request("POST", "/api/verification-codes", json: #"{"email":"\#(email)"}"#, headers: auth)
    }
    func send(phone: String) throws -> HTTPTestResponse {
        try http.request("POST", "/api/verification-codes", json: #"{"phone":"\#(phone)"}"#, headers: auth)
    }
    func verify(email: String, code: String) throws -> HTTPTestResponse {
        try http.request("POST", "/api/verification-codes/verify", json: #"{"email":"\#(email)","verificationCode":"\#(code)"}"#, headers: auth)
    }
    func verify(phone: String, code: String) throws -> HTTPTestResponse {
        try http.request("POST", "/api/verification-codes/verify", json: #"{"phone":"\#(phone)","verificationCode":"\#(code)"}"#, headers: auth)
    }

    var cookieHeader: [(String, String)] { cookie.map { [("Cookie", $0)] } ?? [] }

    /// `PUT /api/experience`; keeps the `_interaction` cookie it sets.
    @discardableResult
    mutating func startInteraction(_ event: String = "SignIn") throws -> HTTPTestResponse {
        let r = try http.request("PUT", "/api/experience", json: #"{"interactionEvent":"\#(event)"}"#, headers: cookieHeader)
        if let set = r.header("set-cookie") { cookie = String(set.split(separator: ";")[0]) }
        return r
    }
    func experienceSend(type: String, value: String, event: String = "SignIn") throws -> HTTPTestResponse {
        try http.request("POST", "/api/experience/verification/verification-code",
                         json: #"{"identifier":{"type":"\#(type)","value":"\#(value)"},"interactionEvent":"\#(event)"}"#, headers: cookieHeader)
    }
    func experienceVerify(type: String, value: String, verificationId: String, code: String) throws -> HTTPTestResponse {
        try http.request("POST", "/api/experience/verification/verification-code/verify",
                         json: #"{"identifier":{"type":"\#(type)","value":"\#(value)"},"verificationId":"\#(verificationId)","code":"\#(code)"}"#,
                         headers: cookieHeader)
    }
}

/// A code that differs from `code` in its last digit.
func wrongCode(_ code: String) -> String {
    let last = code.last!.wholeNumberValue!
    return String(code.dropLast()) + String((last + 1) % 10)
}
