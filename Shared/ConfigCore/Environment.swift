#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A configuration value that is present but wrong. Executables print it and exit with `exitCode`.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var variable: String
    public var problem: String
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }
    public var description: String { "invalid configuration: \(variable): \(problem)" }
    /// EX_CONFIG from sysexits.h.
    public static let exitCode: Int32 = 78
}

/// Typed access to `PASSCODE_*` settings: the process environment, overlaid by an optional
/// `KEY=VALUE` config file (`PASSCODE_CONFIG`, environment wins) and by command-line flags
/// (`--listen=…` or `--listen …` sets `PASSCODE_LISTEN`, flags win).
public struct Environment: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The process environment with the config file and flags applied.
    public static func load(arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Environment {
        var merged: [String: String] = [:]
        if let path = environment["PASSCODE_CONFIG"], !path.isEmpty {
            merged = try parseConfigFile(path: path)
        }
        merged.merge(environment, uniquingKeysWith: { _, env in env })
        merged.merge(try parseFlags(arguments), uniquingKeysWith: { _, flag in flag })
        return Environment(merged)
    }

    static func parseConfigFile(path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(variable: "PASSCODE_CONFIG", problem: "cannot read \(path)")
        }
        var out: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError(variable: "PASSCODE_CONFIG", problem: "line \(number + 1) is not KEY=VALUE")
            }
            let key = line[..<eq].trimmingWhitespace()
            var value = line[line.index(after: eq)...].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            out[key] = value
        }
        return out
    }

    /// `--code-ttl=300` → `PASSCODE_CODE_TTL=300`. Positional words are left to the caller.
    static func parseFlags(_ arguments: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            guard arg.hasPrefix("--"), arg.count > 2 else { continue }
            var name = String(arg.dropFirst(2))
            var value: String
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            } else if i < arguments.count, !arguments[i].hasPrefix("--") {
                value = arguments[i]
                i += 1
            } else {
                value = "1"
            }
            out["PASSCODE_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 })] = value
        }
        return out
    }

    public subscript(_ name: String) -> String? {
        guard let v = values[name], !v.isEmpty else { return nil }
        return v
    }

    public func string(_ name: String, default fallback: String) -> String {
        self[name] ?? fallback
    }

    public func int(_ name: String, default fallback: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let raw = self[name] else { return fallback }
        guard let value = Int(raw.trimmingWhitespace()) else {
            throw ConfigError(variable: name, problem: "\"\(raw)\" is not an integer")
        }
        if let range, !range.contains(value) {
            throw ConfigError(variable: name, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func bool(_ name: String, default fallback: Bool) throws -> Bool {
        guard let raw = self[name] else { return fallback }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(variable: name, problem: "\"\(raw)\" is not a boolean (use 1 or 0)")
        }
    }

    public func choice(_ name: String, default fallback: String, allowed: [String]) throws -> String {
        let value = string(name, default: fallback).lowercased()
        guard allowed.contains(value) else {
            throw ConfigError(variable: name, problem: "\"\(value)\" is not one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    public func with(_ name: String, _ value: String?) -> Environment {
        var copy = self
        copy.values[name] = value
        return copy
    }

    /// The `PASSCODE_*` settings for printing, with secrets replaced by `<redacted>`.
    public func redactedDescription() -> String {
        let secretWords = ["SECRET", "KEY", "TOKEN", "PASSWORD", "AUTHORIZATION", "URL"]
        return values.keys.filter { $0.hasPrefix("PASSCODE_") }.sorted().map { key in
            let secret = secretWords.contains { key.contains($0) }
            return "\(key)=\(secret ? "<redacted>" : values[key]!)"
        }.joined(separator: "\n")
    }
}

/// Shared paths in the data directory, so every process agrees on them.
public struct DataDirectory: Sendable {
    public let path: String
    public init(_ env: Environment) {
        self.path = env.string("PASSCODE_DATA_DIR", default: "./.passcode")
    }
    public init(path: String) { self.path = path }

    public var verifierSocket: String { path + "/verifier.sock" }
    public var connectorSocket: String { path + "/connector.sock" }
    public var database: String { path + "/passcode.sqlite" }
    public var secretFile: String { path + "/secret" }
    public var outbox: String { path + "/outbox.jsonl" }
    /// Written by the gateway once it listens: `HOST:PORT` actually bound (port 0 resolved).
    public var gatewayAddressFile: String { path + "/gateway.address" }

    /// The host and port in `gatewayAddressFile`, or nil when it is missing or unreadable. Read by
    /// the launcher (the ready line) and by a restarted gateway (to keep its port).
    public func gatewayAddress() -> (host: String, port: Int)? {
        guard let text = try? String(contentsOfFile: gatewayAddressFile, encoding: .utf8),
              let colon = text.lastIndex(of: ":"),
              let port = Int(text[text.index(after: colon)...].trimmingWhitespace()) else { return nil }
        return (String(text[..<colon]), port)
    }

    /// Creates the directory (0700) if missing.
    public func ensureExists() throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }
}
