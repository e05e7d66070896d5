import ConfigCore
#if canImport(Glibc)
import Glibc
#endif

/// The server's HMAC keys: code hashes in the verifier, signed cookies in the gateway.
/// New values are made with `primary`; checks accept any of `all` (primary first), so an operator
/// rotates with `PASSCODE_SECRET=new,old` without invalidating live codes or cookies.
///
/// A key is the UTF-8 bytes of its text, the same for a configured secret and the generated file,
/// so the generated file's content can be moved into `PASSCODE_SECRET` unchanged.
public struct ServerSecrets: Sendable {
    public let primary: [UInt8]
    public let previous: [[UInt8]]

    /// Every accepted key, primary first.
    public var all: [[UInt8]] { [primary] + previous }

    public init(primary: [UInt8], previous: [[UInt8]] = []) {
        self.primary = primary
        self.previous = previous
    }

    public static let minimumLength = 16
    static let variable = "PASSCODE_SECRET"

    /// From `PASSCODE_SECRET` (comma-separated, first = primary, each at least 16 characters), else
    /// from `<data dir>/secret`, generated once (32 random bytes, hex) if missing.
    public static func load(environment: Environment, dataDirectory: DataDirectory) throws -> ServerSecrets {
        if let configured = environment[variable] {
            return try parse(configured, variable: variable)
        }
        return try loadOrCreateFile(dataDirectory: dataDirectory)
    }

    static func parse(_ text: String, variable: String) throws -> ServerSecrets {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { trimmed($0) }
        var keys: [[UInt8]] = []
        for (index, part) in parts.enumerated() {
            // Never echo the secret itself, only where it is.
            guard part.count >= minimumLength else {
                throw ConfigError(variable: variable,
                                  problem: "secret #\(index + 1) is shorter than \(minimumLength) characters")
            }
            keys.append(Array(part.utf8))
        }
        guard let first = keys.first else {
            throw ConfigError(variable: variable, problem: "no secret given")
        }
        return ServerSecrets(primary: first, previous: Array(keys.dropFirst()))
    }

    /// Reads the secret file, creating it first if needed. Creation writes a private temp file and
    /// then `link`s it into place: `link` fails with EEXIST if another process got there first, so
    /// processes starting together all end up with the one secret that won, never a half-written one.
    static func loadOrCreateFile(dataDirectory: DataDirectory) throws -> ServerSecrets {
        let path = dataDirectory.secretFile
        if let existing = try readSecretFile(path) { return existing }
        do {
            try dataDirectory.ensureExists()
        } catch {
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(dataDirectory.path)")
        }
        let temporary = "\(path).\(SecureRandom.identifier(length: 12)).tmp"
        let content = Hex.encode(SecureRandom.bytes(count: 32)) + "\n"
        try writeNewFile(temporary, content: content)
        defer { unlink(temporary) }
        if link(temporary, path) != 0 && errno != EEXIST {
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(path): \(describeErrno())")
        }
        guard let secrets = try readSecretFile(path) else {
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot read \(path)")
        }
        return secrets
    }

    /// The secrets in `path`, or nil if there is no such file.
    static func readSecretFile(_ path: String) throws -> ServerSecrets? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot read \(path): \(describeErrno())")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot read \(path): \(describeErrno())")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        let text = trimmed(String(decoding: bytes, as: UTF8.self)[...])
        return try parse(text, variable: path)
    }

    /// Creates `path` (0600, must not exist) with `content`, flushed to disk before it is linked.
    static func writeNewFile(_ path: String, content: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(path): \(describeErrno())")
        }
        defer { close(fd) }
        // The umask may only narrow 0600, but make the mode exact regardless.
        _ = fchmod(fd, 0o600)
        var remaining = Array(content.utf8)[...]
        while !remaining.isEmpty {
            let n = remaining.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                unlink(path)
                throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot write \(path): \(describeErrno())")
            }
            remaining = remaining.dropFirst(n)
        }
        guard fsync(fd) == 0 else {
            unlink(path)
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot flush \(path): \(describeErrno())")
        }
    }

    private static func trimmed(_ text: Substring) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }

    private static func describeErrno() -> String {
        String(cString: strerror(errno))
    }
}
