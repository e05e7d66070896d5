import Contracts
import Foundation
import LogCore
import Testing
@testable import ConnectorService

@Suite("Outbox provider")
struct OutboxTests {
    @Test func twoHundredConcurrentDeliversWriteTwoHundredWellFormedLines() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let core = try Harness.core(["PASSCODE_DATA_DIR": dir.path])
        let codes = (0..<200).map { String(format: "%06d", $0 * 4999 % 1_000_000) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, code) in codes.enumerated() {
                group.addTask {
                    let channel: Channel = index.isMultiple(of: 2) ? .email : .sms
                    _ = try await core.deliver(Harness.params(channel, code: code, key: "k\(index)"))
                }
            }
            try await group.waitForAll()
        }
        let text = try String(contentsOfFile: dir.file("outbox.jsonl"), encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 200)
        var seen: Set<String> = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let channel = try #require(object["channel"] as? String)
            #expect(channel == "email" || channel == "sms")
            #expect(object["to"] is String)
            #expect(object["type"] as? String == "SignIn")
            #expect((object["content"] as? String)?.contains(object["code"] as? String ?? "?") == true)
            #expect((object["subject"] != nil) == (channel == "email"))
            let sentAt = try #require(object["sentAt"] as? String)
            #expect(ISO8601DateFormatter.withFractionalSeconds.date(from: sentAt) != nil)
            seen.insert(try #require(object["code"] as? String))
        }
        #expect(seen == Set(codes))
    }

    @Test func noticeLogLineOmitsTheCode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sink = MemorySink()
        let core = try Harness.core(["PASSCODE_DATA_DIR": dir.path], sink: sink)
        _ = try await core.deliver(Harness.params(.email, to: "bob@example.com", code: "731904"))
        let notices = sink.lines.filter { $0.contains("\"level\":\"notice\"") }
        #expect(notices.count == 1)
        #expect(notices.first?.contains("outbox") == true)
        #expect(!sink.lines.isEmpty)
        #expect(sink.lines.allSatisfy { !$0.contains("731904") })
        #expect(sink.lines.allSatisfy { !$0.contains("bob@example.com") })
    }

    @Test func outboxLineHasTheSpecFieldsInOrder() throws {
        let message = RenderedMessage(channel: .sms, to: "1415", type: .generic, code: "123456", locale: nil, clientIP: nil, subject: nil,
                                      text: "Code \"123456\"\n", html: nil)
        let line = OutboxProvider.line(for: message, sentAt: "2025-01-01T00:00:00.000Z")
        #expect(line == #"{"channel":"sms","to":"1415","type":"Generic","code":"123456","content":"Code \"123456\"\n","sentAt":"2025-01-01T00:00:00.000Z"}"# + "\n")
    }
}

extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
