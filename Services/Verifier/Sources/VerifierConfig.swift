import ConfigCore

/// The verifier's settings (API.md §4, §5, §7), parsed and validated once at start.
public struct VerifierConfig: Sendable, Equatable {
    /// Where durable state lives (`PASSCODE_STORE`).
    public enum StoreLocation: Sendable, Equatable {
        case sqlite
        case redis(url: String)
    }

    public var codeTTL: Int = 600
    /// The seconds `PASSCODE_CODE_TTL` may take: the longest any code lives.
    static let codeTTLRange = 60...3600
    public var maxAttempts: Int = 10
    public var codeLength: Int = 6
    public var sendLimit: Int = 10
    public var sendWindow: Int = 600
    public var lockoutAttempts: Int = 100
    public var lockoutMinutes: Int = 60
    public var lockoutWindow: Int = 3600
    public var ipSendLimit: Int = 30
    public var ipSendWindow: Int = 600
    public var resendCooldown: Int = 0
    public var store: StoreLocation = .sqlite
    /// The SQLite page cache's ceiling in MiB (`PASSCODE_SQLITE_CACHE_MIB`); it fills only as pages
    /// are read, so a small store never reaches it.
    public var sqliteCacheMiB: Int = SQLiteStore.defaultCacheMiB
    /// Whether other processes may open the SQLite file while the verifier runs
    /// (`PASSCODE_SQLITE_SHARED`); by default the verifier holds it exclusively (SQLiteStore.exclusiveVFS).
    public var sqliteShared = false
    /// Seconds an interaction lives after `interaction.start` or `interaction.reset` (API.md §3).
    public var interactionLifetime: Int = 3600

    public init() {}

    /// Reads the `PASSCODE_*` variables; a present but invalid value throws `ConfigError`.
    public static func load(_ env: Environment) throws -> VerifierConfig {
        var c = VerifierConfig()
        c.codeTTL = try env.int("PASSCODE_CODE_TTL", default: c.codeTTL, range: codeTTLRange)
        c.maxAttempts = try env.int("PASSCODE_MAX_ATTEMPTS", default: c.maxAttempts, range: 1...100)
        c.codeLength = try env.int("PASSCODE_CODE_LENGTH", default: c.codeLength, range: 4...10)
        c.sendLimit = try env.int("PASSCODE_SEND_LIMIT", default: c.sendLimit, range: 1...100_000)
        c.sendWindow = try env.int("PASSCODE_SEND_WINDOW", default: c.sendWindow, range: 1...604_800)
        c.lockoutAttempts = try env.int("PASSCODE_LOCKOUT_ATTEMPTS", default: c.lockoutAttempts, range: 1...100_000)
        c.lockoutMinutes = try env.int("PASSCODE_LOCKOUT_MINUTES", default: c.lockoutMinutes, range: 1...10_080)
        c.lockoutWindow = try env.int("PASSCODE_LOCKOUT_WINDOW", default: c.lockoutWindow, range: 1...604_800)
        c.ipSendLimit = try env.int("PASSCODE_IP_SEND_LIMIT", default: c.ipSendLimit, range: 1...1_000_000)
        c.ipSendWindow = try env.int("PASSCODE_IP_SEND_WINDOW", default: c.ipSendWindow, range: 1...604_800)
        c.resendCooldown = try env.int("PASSCODE_RESEND_COOLDOWN", default: c.resendCooldown, range: 0...3600)
        c.store = try parseStore(env["PASSCODE_STORE"])
        c.sqliteCacheMiB = try env.int("PASSCODE_SQLITE_CACHE_MIB", default: c.sqliteCacheMiB, range: 1...65_536)
        c.sqliteShared = try env.bool("PASSCODE_SQLITE_SHARED", default: c.sqliteShared)
        return c
    }

    static func parseStore(_ raw: String?) throws -> StoreLocation {
        guard let raw else { return .sqlite }
        if raw.lowercased() == "sqlite" { return .sqlite }
        // redis://[user:pass@]host[:port][/db] or redis+unix:///path, checked in full now so a bad
        // URL stops the start (exit 78). The message never repeats the URL: it may hold a password.
        if raw.lowercased().hasPrefix("redis") {
            do {
                _ = try RedisEndpoint(url: raw)
                return .redis(url: raw)
            } catch {
                throw ConfigError(variable: "PASSCODE_STORE", problem: "\(error)")
            }
        }
        throw ConfigError(variable: "PASSCODE_STORE", problem: "\"\(raw)\" is neither sqlite nor redis://host:port[/db]")
    }

    var sendPolicy: SendPolicy {
        SendPolicy(recipientLimit: sendLimit, recipientWindow: Double(sendWindow), clientLimit: ipSendLimit,
                   clientWindow: Double(ipSendWindow), cooldown: Double(resendCooldown))
    }

    var verifyPolicy: VerifyPolicy {
        VerifyPolicy(maxAttempts: maxAttempts, lockoutAttempts: lockoutAttempts, lockoutWindow: Double(lockoutWindow),
                     lockoutDuration: Double(lockoutMinutes * 60))
    }

    var purgePolicy: PurgePolicy {
        PurgePolicy(sendRetention: Double(max(sendWindow, ipSendWindow, resendCooldown)),
                    failureRetention: Double(lockoutWindow), expiredRecordGrace: PurgePolicy.defaultExpiredRecordGrace)
    }
}
