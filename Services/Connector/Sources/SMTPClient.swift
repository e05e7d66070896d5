#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One SMTP transaction (RFC 5321 §3): greeting, EHLO, STARTTLS when offered (RFC 3207), EHLO again,
/// AUTH PLAIN (RFC 4616) or LOGIN when credentials are configured (RFC 4954), MAIL FROM, RCPT TO,
/// DATA with dot-stuffing (§4.5.2), QUIT. Blocking: run it on its own thread. 4xx replies are
/// transient failures and 5xx permanent ones (§4.2.1).
struct SMTPClient: Sendable {
    var endpoint: SMTPEndpoint
    var heloName: String
    var stepTimeout: Duration = .seconds(30)

    func deliver(from: String, to: String, message: String, deadline: ContinuousClock.Instant) throws(DeliveryFailure) {
        let connection = try SMTPConnection.open(host: endpoint.host, port: endpoint.port, stepTimeout: stepTimeout, deadline: deadline)
        defer { connection.close() }
        if endpoint.implicitTLS {
            try connection.startTLS(serverName: endpoint.host, insecure: endpoint.insecure, caFile: endpoint.caFile)
        }
        try expect(try SMTPReply.read(from: connection), 220, step: "greeting")
        var capabilities = try hello(connection)
        if !connection.isSecure, capabilities["STARTTLS"] != nil {
            try command("STARTTLS", expecting: [220], step: "STARTTLS", on: connection)
            try connection.startTLS(serverName: endpoint.host, insecure: endpoint.insecure, caFile: endpoint.caFile)
            capabilities = try hello(connection)
        }
        if let user = endpoint.user {
            // RFC 4954 §4: never send credentials in clear unless the operator said the relay is trusted.
            guard connection.isSecure || endpoint.insecure else {
                throw .permanent("smtp: the server offers no TLS, refusing to send credentials in clear")
            }
            try authenticate(user: user, password: endpoint.password ?? "", mechanisms: capabilities["AUTH"] ?? [], on: connection)
        }
        let utf8 = !to.allSatisfy(\.isASCII) || !from.allSatisfy(\.isASCII)
        if utf8, capabilities["SMTPUTF8"] == nil { throw .permanent("smtp: the server cannot take non-ASCII addresses") }
        try command("MAIL FROM:<\(from)>" + (utf8 ? " SMTPUTF8" : ""), expecting: [250], step: "MAIL FROM", on: connection)
        try command("RCPT TO:<\(to)>", expecting: [250, 251], step: "RCPT TO", on: connection)
        try command("DATA", expecting: [354], step: "DATA", on: connection)
        try connection.write(Self.dotStuffed(message))
        try expect(try SMTPReply.read(from: connection), 250, step: "message")
        // The message is accepted; a failing QUIT changes nothing.
        _ = try? command("QUIT", expecting: [221], step: "QUIT", on: connection)
    }

    private func hello(_ connection: SMTPConnection) throws(DeliveryFailure) -> [String: [String]] {
        try connection.write(Array("EHLO \(heloName)\r\n".utf8))
        let reply = try SMTPReply.read(from: connection)
        if reply.code == 250 { return reply.extensions }
        // RFC 5321 §3.2: a server that does not know EHLO may still take HELO.
        guard reply.code >= 500 else { try expect(reply, 250, step: "EHLO"); return [:] }
        try command("HELO \(heloName)", expecting: [250], step: "HELO", on: connection)
        return [:]
    }

    private func authenticate(user: String, password: String, mechanisms: [String], on connection: SMTPConnection) throws(DeliveryFailure) {
        if mechanisms.contains("PLAIN") {
            let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try command("AUTH PLAIN \(token)", expecting: [235], step: "AUTH", on: connection)
        } else if mechanisms.contains("LOGIN") {
            try command("AUTH LOGIN", expecting: [334], step: "AUTH", on: connection)
            try command(Data(user.utf8).base64EncodedString(), expecting: [334], step: "AUTH", on: connection)
            try command(Data(password.utf8).base64EncodedString(), expecting: [235], step: "AUTH", on: connection)
        } else {
            throw .permanent("smtp: the server offers neither AUTH PLAIN nor AUTH LOGIN")
        }
    }

    @discardableResult
    private func command(_ line: String, expecting codes: [Int], step: String, on connection: SMTPConnection) throws(DeliveryFailure) -> SMTPReply {
        try connection.write(Array((line + "\r\n").utf8))
        let reply = try SMTPReply.read(from: connection)
        guard codes.contains(reply.code) else { throw Self.failure(reply, step: step) }
        return reply
    }

    private func expect(_ reply: SMTPReply, _ code: Int, step: String) throws(DeliveryFailure) {
        guard reply.code == code else { throw Self.failure(reply, step: step) }
    }

    /// The reason names the step and the reply code only: reply text can echo what we sent.
    static func failure(_ reply: SMTPReply, step: String) -> DeliveryFailure {
        let reason = "smtp: the server answered \(reply.code) to \(step)"
        switch reply.code {
        case 400..<500: return .transient(reason)
        case 500..<600: return .permanent(reason)
        default: return .transient(reason)
        }
    }

    /// CRLF line endings, a leading `.` doubled on every line (RFC 5321 §4.5.2), then the `.` terminator.
    static func dotStuffed(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message.utf8 {
            switch byte {
            case UInt8(ascii: "\r"):
                out += [13, 10]
                atLineStart = true
            case UInt8(ascii: "\n"):
                if previous != UInt8(ascii: "\r") {
                    out += [13, 10]
                }
                atLineStart = true
            default:
                if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                out.append(byte)
                atLineStart = false
            }
            previous = byte
        }
        if !atLineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}
