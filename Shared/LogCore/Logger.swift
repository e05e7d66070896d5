#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SyncCore

public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, notice, warning, error

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }
}

/// Where finished log lines go. A sink writes each line whole (one `write` per line).
public protocol LogSink: Sendable {
    func write(line: String)
}

/// A value-type logger in the manner of swift-log: a label, metadata and a sink. Messages are
/// autoclosures so a filtered-out line costs nothing. Lines are JSON objects, one per line.
public struct Logger: Sendable {
    public var service: String
    public var level: LogLevel
    public var metadata: [String: String]
    public let sink: any LogSink

    public init(service: String, level: LogLevel = .info, sink: any LogSink = StandardErrorSink()) {
        self.service = service
        self.level = level
        self.metadata = [:]
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata[key] = value
        return copy
    }

    /// Whether a line at `level` would be written; lets callers skip building costly fields.
    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        guard level >= self.level else { return }
        var line = "{\"ts\":\"\(LogClock.timestamp())\",\"level\":\"\(level.name)\",\"service\":"
        JSONText.appendString(service, to: &line)
        line += ",\"msg\":"
        JSONText.appendString(message(), to: &line)
        for (key, value) in metadata.merging(fields, uniquingKeysWith: { _, new in new }).sorted(by: { $0.key < $1.key }) {
            line += ","
            JSONText.appendString(key, to: &line)
            line += ":"
            JSONText.appendString(value, to: &line)
        }
        line += "}\n"
        sink.write(line: line)
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.debug, message(), fields) }
    public func info(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.info, message(), fields) }
    public func notice(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.notice, message(), fields) }
    public func warning(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.warning, message(), fields) }
    public func error(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.error, message(), fields) }
}

/// Writes each line with a single write(2) to standard error, so lines from several threads or
/// processes sharing the stream never interleave.
public struct StandardErrorSink: LogSink {
    public init() {}
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}

/// Keeps lines in memory, for tests.
public final class MemorySink: LogSink {
    private let storage = Locked<[String]>([])
    public init() {}
    public func write(line: String) { storage.withLock { $0.append(line) } }
    public var lines: [String] { storage.withLock { $0 } }
}

/// A sink that drops everything.
public struct DiscardSink: LogSink {
    public init() {}
    public func write(line: String) {}
}

enum LogClock {
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        let millis = Int(ts.tv_nsec / 1_000_000)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
