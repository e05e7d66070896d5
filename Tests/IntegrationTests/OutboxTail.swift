import Foundation
import SyncCore

/// Follows `<data dir>/outbox.jsonl` incrementally (never re-reading what it has seen), so a load
/// test can look up the code sent to a recipient and count the messages each recipient got.
final class OutboxTail: Sendable {
    private struct State {
        var offset: UInt64 = 0
        var partial: [UInt8] = []
        var messages: [String: [String]] = [:]  // recipient → codes, in delivery order
        var total = 0
    }

    let path: String
    private let state = Locked(State())

    init(dataDirectory: String) {
        path = dataDirectory + "/outbox.jsonl"
    }

    /// Reads lines appended since the last call.
    func refresh() {
        state.withLock { s in
            guard let handle = FileHandle(forReadingAtPath: path) else { return }
            defer { try? handle.close() }
            try? handle.seek(toOffset: s.offset)
            guard let data = try? handle.readToEnd(), !data.isEmpty else { return }
            s.offset += UInt64(data.count)
            var bytes = s.partial + Array(data)
            var start = 0
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(bytes[start..<newline])
                start = newline + 1
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                      let to = object["to"] as? String, let code = object["code"] as? String else { continue }
                s.messages[to, default: []].append(code)
                s.total += 1
            }
            bytes.removeFirst(start)
            s.partial = bytes
        }
    }

    /// Every code delivered to `to` so far.
    func codes(to: String) -> [String] {
        refresh()
        return state.withLock { $0.messages[to] ?? [] }
    }

    /// The latest code sent to `to`, waiting up to `timeout` for it to be written.
    func latestCode(to: String, timeout: Double = 5) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let code = codes(to: to).last { return code }
            usleep(5_000)
        } while Date() < deadline
        return nil
    }

    /// Recipient → codes, for the whole file so far.
    var all: [String: [String]] {
        refresh()
        return state.withLock { $0.messages }
    }

    var total: Int {
        refresh()
        return state.withLock { $0.total }
    }
}
