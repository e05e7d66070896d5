import Contracts
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import LogCore

/// The development connector: appends one JSON line per message to `<data dir>/outbox.jsonl`
/// (`{"channel","to","type","code","subject"?,"content","sentAt"}`, API.md §7) and logs a notice
/// without the code. Each line is one `write(2)` on an `O_APPEND` descriptor under an exclusive
/// `flock`, so writers in this and other processes never interleave.
struct OutboxProvider: DeliveryProvider {
    let name = "outbox"
    var path: String
    var logger: Logger
    /// File I/O runs here, off the cooperative pool; serial, so this process queues its own writers.
    private let queue = DispatchQueue(label: "passcode.connector.outbox")

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    static func line(for message: RenderedMessage, sentAt: String) -> String {
        String(decoding: lineBytes(for: message, sentAt: sentAt), as: UTF8.self)
    }

    /// The line as the bytes `append` writes (built as bytes: issue 7).
    static func lineBytes(for message: RenderedMessage, sentAt: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160 + message.to.utf8.count + (message.subject?.utf8.count ?? 0) + message.text.utf8.count)
        func field(_ name: StaticString, _ value: String) {
            line.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            JSONValue.serializeString(value, into: &line)
        }
        field("{\"channel\":", message.channel.rawValue)
        field(",\"to\":", message.to)
        field(",\"type\":", message.type.rawValue)
        field(",\"code\":", message.code)
        if let subject = message.subject { field(",\"subject\":", subject) }
        field(",\"content\":", message.text)
        field(",\"sentAt\":", sentAt)
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String {
        let line = Self.lineBytes(for: message, sentAt: Timestamp.iso8601())
        let path = self.path
        let failure: String? = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Self.append(line, to: path)) }
        }
        if let failure { throw DeliveryFailure.transient("outbox: \(failure)") }
        let messageId = MessageID.make()
        if logger.isEnabled(.notice) {
            logger.notice("outbox: message written", [
                "channel": message.channel.rawValue, "to": Redact.identifier(message.to), "type": message.type.rawValue,
                "messageId": messageId, "file": path,
            ])
        }
        return messageId
    }

    /// Appends `line` whole; returns a reason on failure (never the line: it holds the code).
    static func append(_ line: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "cannot open the outbox file (errno \(errno))" }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { return "cannot lock the outbox file (errno \(errno))" }
        }
        defer { _ = flock(fd, LOCK_UN) }
        let written: Int = line.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var n: Int
            repeat { n = write(fd, base, buffer.count) } while n < 0 && errno == EINTR
            return n
        }
        // O_APPEND on a local file writes the whole line or fails; a short write is an error we report.
        guard written == line.count else { return "cannot write the outbox file (errno \(errno))" }
        return nil
    }
}
