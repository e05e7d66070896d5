import ConfigCore
import Contracts
import CryptoCore
#if canImport(Glibc)
import Glibc
#endif
import LogCore

/// The verifier service: code records, the verify algorithm (API.md §3–§4), interactions, the send
/// rate guard and the lockout sentinel (§5). Its async methods mirror the `Verifier.*` RPC methods
/// one to one and throw only catalogue `ServiceError`s.
///
/// Codes and ids are generated here with CryptoCore; codes are hashed here, so the store only ever
/// sees HMACs. The store runs on its own worker thread.
public final class CodeVerifier: Sendable {
    public static let version = "0.1.0"

    let config: VerifierConfig
    let hasher: CodeHasher
    let worker: StoreWorker
    let storeKind: String
    let logger: Logger
    let now: @Sendable () -> Double

    /// A verifier over the store `config.store` names: the SQLite file in `dataDirectory`, or Redis.
    /// Opening happens on the worker threads; call `checkStore()` to surface an open failure.
    public convenience init(config: VerifierConfig, secrets: ServerSecrets, dataDirectory: DataDirectory, logger: Logger,
                            now: @escaping @Sendable () -> Double = CodeVerifier.systemNow) throws {
        switch config.store {
        case .sqlite:
            do {
                try dataDirectory.ensureExists()
            } catch {
                throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(dataDirectory.path)")
            }
            let path = dataDirectory.database
            let cacheMiB = config.sqliteCacheMiB
            let shared = config.sqliteShared
            self.init(config: config, secrets: secrets, storeKind: "sqlite", logger: logger, now: now) {
                try SQLiteStore(path: path, cacheMiB: cacheMiB, shared: shared)
            }
        case .redis(let url):
            let endpoint: RedisEndpoint
            do {
                endpoint = try RedisEndpoint(url: url)
            } catch {
                throw ConfigError(variable: "PASSCODE_STORE", problem: "\(error)")
            }
            // Connections open lazily, so a verifier starts (and reports unavailable) while Redis is down.
            let backoff = RedisBackoff()
            self.init(config: config, secrets: secrets, storeKind: "redis", threads: Self.redisWorkerThreads, logger: logger,
                      now: now) {
                try RedisStore(endpoint: endpoint, backoff: backoff)
            }
        }
    }

    /// Store threads (and so Redis connections) per verifier: enough that requests do not queue
    /// behind one network round trip.
    static let redisWorkerThreads = 4

    init(config: VerifierConfig, secrets: ServerSecrets, storeKind: String, threads: Int = 1, logger: Logger,
         now: @escaping @Sendable () -> Double, store: @escaping @Sendable () throws -> any CodeStore) {
        self.config = config
        self.hasher = CodeHasher(secrets: secrets)
        self.storeKind = storeKind
        self.logger = logger
        self.now = now
        self.worker = StoreWorker(name: "passcode-store", threads: threads, open: store)
    }

    /// Wall-clock Unix seconds (CLOCK_REALTIME), without Foundation's `Date`.
    public static let systemNow: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1_000_000_000
    }

    /// Finishes queued store work and closes the store.
    public func shutdown() async {
        await worker.stop()
    }

    /// Throws `service.unavailable` (with the store's reason in `details`) if the store cannot be used,
    /// e.g. it failed to open. For start-up checks.
    public func checkStore() async throws(ServiceError) {
        do {
            try await worker.perform { try $0.ping() }
        } catch {
            throw .unavailable(details: "\(error)")
        }
    }

    // MARK: Interactions

    public func startInteraction(_ p: Verifier.InteractionStart.Params) async throws(ServiceError) -> InteractionHandle {
        let now = self.now()
        // Time-ordered like record ids: a moment's sign-ins share the last pages of `interactions`
        // and of `code_records_interaction`.
        let id = SecureRandom.timeOrderedIdentifier(unixTime: now)
        let expiresAt = now + Double(config.interactionLifetime)
        let event = p.event
        try await store("interaction.start") { try $0.createInteraction(id: id, event: event, expiresAt: expiresAt, now: now) }
        return InteractionHandle(interactionId: id, expiresAt: expiresAt)
    }

    public func resetInteraction(_ p: Verifier.InteractionReset.Params) async throws(ServiceError) -> InteractionHandle {
        guard Self.plausibleID(p.interactionId) else { throw .sessionNotFound }
        let now = self.now()
        let expiresAt = now + Double(config.interactionLifetime)
        let id = p.interactionId
        let event = p.event
        let found = try await store("interaction.reset") {
            try $0.resetInteraction(id: id, event: event, expiresAt: expiresAt, now: now)
        }
        guard found else { throw .sessionNotFound }
        return InteractionHandle(interactionId: id, expiresAt: expiresAt)
    }

    public func getInteraction(_ p: Verifier.InteractionGet.Params) async throws(ServiceError) -> InteractionView {
        guard Self.plausibleID(p.interactionId) else { throw .sessionNotFound }
        let now = self.now()
        let id = p.interactionId
        guard let view = try await store("interaction.get", { try $0.interaction(id: id, now: now) }) else {
            throw .sessionNotFound
        }
        return view
    }

    // MARK: Codes

    public func issue(_ p: Verifier.CodeIssue.Params) async throws(ServiceError) -> Verifier.CodeIssue.Result {
        try Self.validate(p.identifier)
        if case .interaction(let id) = p.scope, !Self.plausibleID(id) { throw .sessionNotFound }
        if let ip = p.clientIP, ip.isEmpty || ip.utf8.count > 64 { throw .invalidInput("clientIP is not an IP address") }

        let now = self.now()
        // Time-ordered: the records a moment's sends create share the last pages of the trees keyed
        // by the id (code_records, send_slots_verification).
        let recordID = SecureRandom.timeOrderedIdentifier(unixTime: now)
        let code = SecureRandom.digits(count: config.codeLength)
        let request = IssueRequest(
            recordID: recordID, scope: p.scope, identifier: p.identifier, templateType: p.templateType,
            codeHash: hasher.hash(recordID: recordID, code: code), expiresAt: now + Double(config.codeTTL),
            recipientBucket: "\(p.identifier.type.rawValue):\(p.identifier.normalized)",
            clientBucket: p.clientIP.map { "ip:\($0)" }, policy: config.sendPolicy)

        switch try await store("code.issue", { try $0.issue(request, now: now) }) {
        case .issued:
            return Verifier.CodeIssue.Result(verificationId: recordID, code: code, expiresAt: request.expiresAt)
        case .interactionNotFound:
            throw .sessionNotFound
        case .recipientLimited(let wait), .coolingDown(let wait):
            throw .messageRateLimited(retryAfter: Self.seconds(wait))
        case .clientLimited(let wait):
            throw .rateLimited(retryAfter: Self.seconds(wait))
        }
    }

    public func releaseSlot(_ p: Verifier.CodeReleaseSlot.Params) async throws(ServiceError) -> Empty {
        guard Self.plausibleID(p.verificationId) else { return Empty() }
        let now = self.now()
        let id = p.verificationId
        try await store("code.releaseSlot") { try $0.releaseSlots(verificationId: id, now: now) }
        return Empty()
    }

    public func verify(_ p: Verifier.CodeVerify.Params) async throws(ServiceError) -> Verifier.CodeVerify.Result {
        try Self.validate(p.identifier)
        let now = self.now()
        let identifier = p.identifier
        let policy = config.verifyPolicy
        let outcome: VerifyOutcome
        let recordID: String
        switch p.scope {
        case .generic:
            // One store job: the store finds the current record and calls back for the hashes its
            // id salts (profile finding 3: was two hand-offs to the store thread).
            let hasher = self.hasher
            let code = p.code
            let result = try await store("code.verify") { store in
                try store.verifyGeneric(identifier: identifier, codeIsEmpty: code.isEmpty, policy: policy, now: now) { id in
                    hasher.candidates(recordID: id, code: code)
                }
            }
            guard let found = result.recordID else { throw .codeNotFound }
            outcome = result.outcome
            recordID = found
        case .interaction(let interactionID):
            guard Self.plausibleID(interactionID) else { throw .sessionNotFound }
            guard let verificationID = p.verificationId else {
                throw .invalidInput("verificationId is required for an interaction-scope verify")
            }
            // An id that cannot be ours can never match the interaction's record; the store still
            // runs the step so the session and lockout checks come first.
            recordID = verificationID
            let attempt = VerifyAttempt(
                target: .interaction(interactionID: interactionID, verificationID: Self.plausibleID(verificationID) ? verificationID : ""),
                identifier: identifier, codeIsEmpty: p.code.isEmpty,
                candidateHashes: hasher.candidates(recordID: recordID, code: p.code), policy: policy)
            outcome = try await store("code.verify") { try $0.verify(attempt, now: now) }
        }

        switch outcome {
        case .verified: return Verifier.CodeVerify.Result(verificationId: recordID)
        case .interactionNotFound: throw .sessionNotFound
        case .blocked: throw .verificationBlocked
        case .verificationNotFound: throw .verificationSessionNotFound
        case .codeNotFound: throw .codeNotFound
        case .identifierMismatch: throw identifier.type == .email ? .emailMismatch : .phoneMismatch
        case .expired: throw .codeExpired
        case .exceedMaxTry: throw .exceedMaxTry
        case .codeMismatch: throw .codeMismatch
        }
    }

    // MARK: Health and housekeeping

    public func health() async -> Verifier.Health.Result {
        let reachable = (try? await worker.perform { try $0.ping() }) != nil
        return Verifier.Health.Result(store: storeKind, storeReachable: reachable, version: Self.version)
    }

    /// Removes expired state once. Returns the number of rows removed.
    ///
    /// Between two batches the purge rests `purgeRestFactor` times as long as the batch ran on the
    /// store thread (`rest`, a sleep; tests record it), so a backlog is removed with at most a
    /// quarter of the store's time. Measured (1,000,000 send slots leaving their window at once,
    /// under verify-miss at 64 connections with 1,000,000 live records): back to back, the batches
    /// took the store thread from the verifies, which fell from 11,000/s to 1,000/s for the minute
    /// the purge lasted, since each verify batch waited behind a purge batch.
    @discardableResult
    public func purgeExpired(rest: @Sendable (Duration) async -> Void = CodeVerifier.sleep) async throws(ServiceError) -> Int {
        let now = self.now()
        let policy = config.purgePolicy
        var removed = 0
        // One store job per batch, so verifies queued meanwhile run between batches (profile
        // finding 2: one transaction over a million rows held the store for seconds).
        while true {
            // Solo: a purge batch never shares a group-commit transaction, whose verifies would
            // otherwise wait for its deletes before their replies.
            let (batch, ran) = try await store("purge", solo: true) { store in
                let start = ContinuousClock.now
                let batch = try store.purgeExpired(policy, now: now, limit: Self.purgeBatchSize)
                return (batch, ContinuousClock.now - start)
            }
            removed += batch.removed
            if batch.finished { return removed }
            await rest(min(ran * Self.purgeRestFactor, .seconds(1)))
        }
    }

    /// Rows per purge transaction: a few milliseconds of work.
    static let purgeBatchSize = 1000
    /// The purge's rest after a batch, in multiples of the batch's time: 3 leaves the verifies at
    /// least three quarters of the store thread while a backlog is purged.
    static let purgeRestFactor = 3

    public static let sleep: @Sendable (Duration) async -> Void = { duration in
        try? await Task.sleep(for: duration)
    }

    /// Purges every `interval` until the calling task is cancelled.
    public func runPurgeLoop(every interval: Duration = .seconds(60)) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            if let removed = try? await purgeExpired(), removed > 0 {
                logger.log(.debug, "purged expired rows", ["rows": String(removed)])
            }
        }
    }

    // MARK: Helpers

    /// Runs one store step; any store failure is logged (SQLite's words, never a code) and becomes
    /// `service.unavailable`, which the gateway answers with 503.
    private func store<T: Sendable>(_ operation: String, solo: Bool = false,
                                    _ body: @escaping @Sendable (any CodeStore) throws -> T) async throws(ServiceError) -> T {
        do {
            return try await worker.perform(solo: solo, body)
        } catch {
            logger.log(.error, "store operation failed", ["operation": operation, "error": "\(error)"])
            throw .unavailable()
        }
    }

    /// The gateway validates identifiers (API.md §1); this is the backstop against oversize input.
    static func validate(_ identifier: Identifier) throws(ServiceError) {
        let length = identifier.value.utf8.count
        guard length > 0, length <= 256 else {
            throw .invalidInput("identifier.value must be 1 to 256 characters")
        }
    }

    /// Ids we issue are 35 characters of `[0-9a-z]` (26 for those made before they were
    /// time-ordered); anything far off that cannot be one of ours.
    static func plausibleID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
    }

    static func seconds(_ wait: Double) -> Int {
        max(1, Int(wait.rounded(.up)))
    }
}
