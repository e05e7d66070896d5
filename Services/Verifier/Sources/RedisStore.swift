import Contracts
import CryptoCore

/// The shared store: many verifiers (one per host or pod) point at one Redis, and every limit,
/// lockout, interaction and code holds across all of them exactly as on one host.
///
/// Each step that changes state is a Lua script (`RedisScript+Store.swift`), atomic on the keys of
/// one entity (`RedisKeys`). Steps that involve several entities are split into per-entity scripts
/// so they also run on Redis Cluster, in an order that can only err on the safe side:
///
/// - A Generic issue without a client IP is one script: the record lives in its recipient's slot.
/// - Otherwise an issue first takes the send slots (recipient, then client IP, each atomically,
///   pipelined together with an interaction liveness read), then writes the record. A refusal or a
///   vanished interaction gives back the slots it took. Between the two a concurrent send may see
///   a slot that is about to be given back and be refused: the cap is never exceeded, but at the
///   limit a send racing a refused one can be refused too.
/// - An Experience verify reads the lock, then runs the verify script on the interaction, then
///   counts a failure on the identifier's lockout keys. A lock set by a concurrent verify between
///   the read and the count answers that failure as blocked.
/// - `releaseSlots` finds the buckets through a receipt keyed by the verification id.
///
/// If Redis fails between two scripts of one step the caller gets `service.unavailable`, and a
/// taken send slot stays taken until its window ends (never fewer counted sends than made).
///
/// Belongs to one worker thread (its `RedisClient` holds that thread's connection).
final class RedisStore: CodeStore {
    let kind = "redis"
    let client: RedisClient
    let keys: RedisKeys
    /// Makes each failure's sorted-set member unique across verifiers and threads.
    private let instance = SecureRandom.identifier(length: 16)
    private var serial: UInt64 = 0

    /// Added to every TTL: Redis drops keys on its own clock, the rules use the verifiers' clocks,
    /// and a little skew must never make Redis forget state a rule still counts.
    static let ttlMargin: Double = 60

    init(endpoint: RedisEndpoint, namespace: String = "passcode", backoff: RedisBackoff,
         options: RedisClient.Options = RedisClient.Options()) throws(RedisError) {
        guard RedisKeys.isValidNamespace(namespace) else {
            throw .invalidURL("the key namespace may hold only letters, digits, _, - and .")
        }
        keys = RedisKeys(namespace: namespace)
        client = RedisClient(endpoint: endpoint, options: options, backoff: backoff, scripts: RedisScript.all)
    }

    func ping() throws {
        let reply = try client.value(.command("PING"))
        guard reply.text == "PONG" else { throw RedisError.unexpectedReply("PING answered \(reply)") }
    }

    // MARK: Interactions

    func createInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws {
        _ = try script(.createInteraction, keys: [keys.interaction(id)],
                       [event.rawValue, Self.number(expiresAt), Self.milliseconds(expiresAt - now)])
    }

    func resetInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws -> Bool {
        try script(.resetInteraction, keys: [keys.interaction(id)],
                   [Self.number(now), event.rawValue, Self.number(expiresAt), Self.milliseconds(expiresAt - now)]).integerValue == 1
    }

    func interaction(id: String, now: Double) throws -> InteractionView? {
        let reply = try client.value(.command("HGETALL", keys.interaction(id)))
        guard let flat = reply.elements else { throw RedisError.unexpectedReply("HGETALL answered \(reply)") }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].text, let value = flat[index + 1].text { fields[name] = value }
            index += 2
        }
        guard let expiresAt = fields["exp"].flatMap(Double.init), expiresAt > now,
              let event = fields["ev"].flatMap(InteractionEvent.init(rawValue:)) else { return nil }
        // Ordered by identifier type, as the SQLite store orders them.
        let records = IdentifierType.allCases.sorted { $0.rawValue < $1.rawValue }.compactMap { type -> VerificationRecordView? in
            let p = type.rawValue + ":"
            guard let recordID = fields[p + "id"], let value = fields[p + "val"],
                  let template = fields[p + "tpl"].flatMap(TemplateType.init(rawValue:)) else { return nil }
            return VerificationRecordView(id: recordID, type: type == .email ? "EmailVerificationCode" : "PhoneVerificationCode",
                                          identifier: Identifier(type: type, value: value), templateType: template,
                                          verified: fields[p + "used"] == "1")
        }
        return InteractionView(interactionEvent: event, expiresAt: expiresAt, verificationRecords: records)
    }

    // MARK: Issue

    func issue(_ request: IssueRequest, now: Double) throws -> IssueOutcome {
        let policy = request.policy
        let retention = max(policy.recipientWindow, policy.clientWindow, policy.cooldown)
        let recipientSends = keys.sends(bucket: request.recipientBucket)
        func take(limit: Int, window: Double, cooldown: Double) -> [String] {
            [Self.number(now), String(limit), Self.number(window), Self.number(cooldown), Self.number(retention),
             request.recordID, Self.milliseconds(retention)]
        }
        let recipientTake = take(limit: policy.recipientLimit, window: policy.recipientWindow, cooldown: policy.cooldown)
        let genericKey = keys.genericRecord(request.identifier)
        let genericFields = [request.recordID, request.identifier.value, request.templateType.rawValue, Hex.encode(request.codeHash),
                             Self.number(request.expiresAt),
                             Self.milliseconds(request.expiresAt - now + PurgePolicy.defaultExpiredRecordGrace)]

        if case .generic = request.scope, request.clientBucket == nil,
           request.recipientBucket == RedisKeys.recipientBucket(request.identifier) {
            let reply = try script(.issueGeneric, keys: [recipientSends, genericKey], recipientTake + genericFields)
            switch try SlotOutcome(reply) {
            case .limited(let wait): return .recipientLimited(retryAfter: wait)
            case .cooling(let wait): return .coolingDown(retryAfter: wait)
            case .taken:
                try check(client.run([receipt(request, buckets: [recipientSends], retention: retention, now: now)]))
                return .issued
            }
        }

        // Several entities: take the slots first, then write the record.
        var calls: [RedisCall] = []
        var interactionKey: String?
        if case .interaction(let id) = request.scope {
            interactionKey = keys.interaction(id)
            calls.append(.command("HGET", keys.interaction(id), "exp"))
        }
        calls.append(.script(.take, keys: [recipientSends], arguments: recipientTake))
        let clientSends = request.clientBucket.map { keys.sends(bucket: $0) }
        if let clientSends {
            calls.append(.script(.take, keys: [clientSends],
                                 arguments: take(limit: policy.clientLimit, window: policy.clientWindow, cooldown: 0)))
        }
        var replies = try check(client.run(calls))[...]
        let live = interactionKey == nil || (replies.popFirst()?.text.flatMap(Double.init).map { $0 > now } ?? false)
        let recipient = try SlotOutcome(replies.removeFirst())
        let clientIP = try replies.popFirst().map(SlotOutcome.init)
        var taken: [String] = []
        if recipient == .taken { taken.append(recipientSends) }
        if clientIP == .taken, let clientSends { taken.append(clientSends) }

        // The refusal SQLite would give: interaction, recipient window, client window, cool-down.
        let refusal: IssueOutcome? = switch (live, recipient, clientIP) {
        case (false, _, _): .interactionNotFound
        case (true, .limited(let wait), _): .recipientLimited(retryAfter: wait)
        case (true, _, .limited(let wait)?): .clientLimited(retryAfter: wait)
        case (true, .cooling(let wait), _): .coolingDown(retryAfter: wait)
        default: nil
        }
        if let refusal {
            try giveBack(taken, member: request.recordID)
            return refusal
        }

        let put: RedisCall
        if let interactionKey {
            put = .script(.putInteractionRecord, keys: [interactionKey], arguments: [
                Self.number(now), request.identifier.type.rawValue, request.recordID, request.identifier.value,
                request.templateType.rawValue, Hex.encode(request.codeHash), Self.number(request.expiresAt),
            ])
        } else {
            put = .script(.putGeneric, keys: [genericKey], arguments: genericFields)
        }
        let written = try check(client.run([put, receipt(request, buckets: taken, retention: retention, now: now)]))
        if interactionKey != nil && written[0].integerValue != 1 {
            // The interaction ended (or was reset) between the liveness read and the write.
            try giveBack(taken, member: request.recordID, receipt: keys.receipt(request.recordID))
            return .interactionNotFound
        }
        return .issued
    }

    /// Remembers which buckets the issue of a record took slots in, for `releaseSlots`:
    /// `sentAt\nkey\nkey`.
    private func receipt(_ request: IssueRequest, buckets: [String], retention: Double, now: Double) -> RedisCall {
        let text = ([Self.number(now)] + buckets).joined(separator: "\n")
        return .command("SET", keys.receipt(request.recordID), text, "PX", Self.milliseconds(retention))
    }

    private func giveBack(_ buckets: [String], member: String, receipt: String? = nil) throws {
        var calls = buckets.map { RedisCall.command("ZREM", $0, member) }
        if let receipt { calls.append(.command("DEL", receipt)) }
        guard !calls.isEmpty else { return }
        try check(client.run(calls))
    }

    func releaseSlots(verificationId: String, now: Double) throws {
        let receiptKey = keys.receipt(verificationId)
        guard let text = try client.value(.command("GET", receiptKey)).text else { return }
        // Only our own send buckets, whatever the receipt says.
        let buckets = text.split(separator: "\n").dropFirst().map(String.init).filter { keys.kind(of: $0) == .sends }
        try giveBack(buckets, member: verificationId, receipt: receiptKey)
    }

    // MARK: Verify

    /// Two round trips: Lua cannot compute the HMAC, so the record id (the hash's salt) is read
    /// first and the `verifyGeneric` script re-checks that record is still current.
    func verifyGeneric(identifier: Identifier, codeIsEmpty: Bool, policy: VerifyPolicy, now: Double,
                       candidates: (_ recordID: String) -> [[UInt8]]) throws -> (outcome: VerifyOutcome, recordID: String?) {
        guard let id = try currentGenericRecordID(for: identifier, now: now) else { return (.codeNotFound, nil) }
        let attempt = VerifyAttempt(target: .generic(recordID: id), identifier: identifier, codeIsEmpty: codeIsEmpty,
                                    candidateHashes: candidates(id), policy: policy)
        return (try verify(attempt, now: now), id)
    }

    /// The id of the current unconsumed Generic record of exactly `identifier`, or nil.
    func currentGenericRecordID(for identifier: Identifier, now: Double) throws -> String? {
        let reply = try client.value(.command("HMGET", keys.genericRecord(identifier), "id", "used", "exp"))
        guard let fields = reply.elements, fields.count == 3 else { throw RedisError.unexpectedReply("HMGET answered \(reply)") }
        guard let id = fields[0].text, fields[1].text != "1",
              let expiresAt = fields[2].text.flatMap(Double.init),
              now <= expiresAt + PurgePolicy.defaultExpiredRecordGrace else { return nil }
        return id
    }

    func verify(_ attempt: VerifyAttempt, now: Double) throws -> VerifyOutcome {
        let empty = attempt.codeIsEmpty ? "1" : "0"
        let hashes = attempt.candidateHashes.map(Hex.encode)
        switch attempt.target {
        case .generic(let recordID):
            let reply = try script(.verifyGeneric, keys: [keys.genericRecord(attempt.identifier)], [
                Self.number(now), recordID, attempt.identifier.value, String(attempt.policy.maxAttempts), empty,
                Self.number(PurgePolicy.defaultExpiredRecordGrace),
            ] + hashes)
            return try Self.outcome(reply)

        case .interaction(let interactionID, let verificationID):
            let interactionKey = keys.interaction(interactionID)
            let lockKey = keys.lock(attempt.lockoutKey)
            let state = try check(client.run([.command("HGET", interactionKey, "exp"), .command("GET", lockKey)]))
            guard let expiresAt = state[0].text.flatMap(Double.init), expiresAt > now else { return .interactionNotFound }
            if let lockedUntil = state[1].text.flatMap(Double.init), lockedUntil > now { return .blocked }

            let reply = try script(.verifyInteraction, keys: [interactionKey], [
                Self.number(now), attempt.identifier.type.rawValue, verificationID, attempt.identifier.value,
                String(attempt.policy.maxAttempts), empty,
            ] + hashes)
            let outcome = try Self.outcome(reply)
            guard outcome.countsAsFailure else { return outcome }
            let policy = attempt.policy
            serial &+= 1
            let locked = try script(.countFailure, keys: [keys.failures(attempt.lockoutKey), lockKey], [
                Self.number(now), Self.number(policy.lockoutWindow), String(policy.lockoutAttempts),
                Self.number(policy.lockoutDuration), "\(instance)-\(serial)",
                Self.milliseconds(policy.lockoutWindow), Self.milliseconds(policy.lockoutDuration),
            ])
            return locked.integerValue == 1 ? .blocked : outcome
        }
    }

    private static func outcome(_ reply: RedisValue) throws -> VerifyOutcome {
        switch reply.text {
        case "verified": .verified
        case "interaction_not_found": .interactionNotFound
        case "verification_not_found": .verificationNotFound
        case "code_not_found": .codeNotFound
        case "identifier_mismatch": .identifierMismatch
        case "expired": .expired
        case "exceed_max_try": .exceedMaxTry
        case "code_mismatch": .codeMismatch
        default: throw RedisError.unexpectedReply("verify answered \(reply)")
        }
    }

    // MARK: Purge

    /// TTLs already drop what has expired on Redis's clock; this walks our keys (`SCAN`, so Redis
    /// is never blocked) and removes what has expired on the verifier's clock, as the SQLite purge
    /// does. On Redis Cluster it sees the keys of the node it is connected to. `SCAN` already works
    /// in small steps and other worker threads keep serving, so this ignores `limit` and finishes.
    func purgeExpired(_ policy: PurgePolicy, now: Double, limit: Int) throws -> PurgeBatch {
        let arguments = [Self.number(now), Self.number(policy.expiredRecordGrace), Self.number(policy.sendRetention),
                         Self.number(policy.failureRetention)]
        var cursor = "0"
        var removed = 0
        repeat {
            let reply = try client.value(.command("SCAN", cursor, "MATCH", keys.scanPattern, "COUNT", "1000"))
            guard let parts = reply.elements, parts.count == 2, let next = parts[0].text, let found = parts[1].elements else {
                throw RedisError.unexpectedReply("SCAN answered \(reply)")
            }
            let calls = found.compactMap(\.text).compactMap { key in
                keys.kind(of: key).map { RedisCall.script(.purgeKey, keys: [key], arguments: [$0.rawValue] + arguments) }
            }
            if !calls.isEmpty {
                for reply in try check(client.run(calls)) { removed += Int(reply.integerValue ?? 0) }
            }
            cursor = next
        } while cursor != "0"
        return PurgeBatch(removed: removed, finished: true)
    }

    // MARK: Calls

    private func script(_ script: RedisScript, keys: [String], _ arguments: [String]) throws -> RedisValue {
        try client.value(.script(script, keys: keys, arguments: arguments))
    }

    /// Replies of a pipeline in which no command may fail.
    @discardableResult
    private func check(_ replies: [RedisValue]) throws -> [RedisValue] {
        if let message = replies.lazy.compactMap(\.errorMessage).first { throw RedisError.server(message) }
        return replies
    }

    /// A time as Lua's `tonumber` reads it back exactly (Swift prints the shortest round-trip form).
    static func number(_ value: Double) -> String {
        "\(value)"
    }

    /// A TTL in whole milliseconds for `seconds` of logical lifetime plus the margin; at least 1 s,
    /// at most a year (a clock far off must not overflow `PEXPIRE`).
    static func milliseconds(_ seconds: Double) -> String {
        let total = min(max(seconds + ttlMargin, 1), 366 * 86_400)
        return String(Int64((total * 1000).rounded(.up)))
    }
}

extension RedisStore {
    /// What `take` did to one send bucket.
    enum SlotOutcome: Equatable {
        case taken
        case limited(Double)
        case cooling(Double)

        init(_ reply: RedisValue) throws {
            guard let parts = reply.elements?.compactMap(\.text), let verdict = parts.first else {
                throw RedisError.unexpectedReply("take answered \(reply)")
            }
            switch (verdict, parts.count > 1 ? Double(parts[1]) : nil) {
            case ("taken", _): self = .taken
            case ("limited", let wait?): self = .limited(wait)
            case ("cooling", let wait?): self = .cooling(wait)
            default: throw RedisError.unexpectedReply("take answered \(reply)")
            }
        }
    }
}
