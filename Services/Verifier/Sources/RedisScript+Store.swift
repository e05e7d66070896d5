/// The Redis store's scripts. Each is one atomic step on the keys of ONE entity (one hash tag, see
/// `RedisKeys`). Times are Unix seconds passed in by the verifier (tests drive a clock), never
/// Redis `TIME`; Lua numbers are doubles, so times go back to Redis through `fmt` (17 significant
/// digits, exact) and every reply is a string, since Redis would truncate a Lua number to an
/// integer. TTLs only collect garbage: every rule is checked against the stored times.
extension RedisScript {
    static let all: [RedisScript] = [
        take, issueGeneric, putGeneric, putInteractionRecord, createInteraction, resetInteraction,
        verifyGeneric, verifyInteraction, countFailure, purgeKey,
    ]

    private static let prelude = #"""
        local function fmt(x) return string.format('%.17g', x) end

        -- Seconds until enough of the sends counted in the sliding window (time > now - window)
        -- have left it for one more to fit; nil if there is room (API.md §5.1).
        local function windowWait(key, limit, window, now)
          local since = '(' .. fmt(now - window)
          local count = redis.call('ZCOUNT', key, since, '+inf')
          if count < limit then return nil end
          local leaving = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
          local at = tonumber(leaving[2]) or now
          return math.max(0, at + window - now)
        end

        -- Checks one send bucket's window, then its cool-down, and takes a slot (member = the
        -- verification id). A refusal takes nothing. ARGV from `base`: now, limit, window,
        -- cooldown, retention, member, ttl in ms.
        local function take(key, base)
          local now = tonumber(ARGV[base])
          redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - tonumber(ARGV[base + 4])))
          local wait = windowWait(key, tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), now)
          if wait then return {'limited', fmt(wait)} end
          local cooldown = tonumber(ARGV[base + 3])
          if cooldown > 0 then
            local last = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
            if last[2] then
              local ends = tonumber(last[2]) + cooldown
              if ends > now then return {'cooling', fmt(ends - now)} end
            end
          end
          redis.call('ZADD', key, fmt(now), ARGV[base + 5])
          redis.call('PEXPIRE', key, ARGV[base + 6])
          return {'taken'}
        end

        -- Replaces a Generic record. ARGV from `base`: id, value, template, hash, expiresAt, ttl ms.
        local function putGeneric(key, base)
          redis.call('DEL', key)
          redis.call('HSET', key, 'id', ARGV[base], 'val', ARGV[base + 1], 'tpl', ARGV[base + 2],
                     'hash', ARGV[base + 3], 'exp', ARGV[base + 4], 'att', 0, 'used', 0)
          redis.call('PEXPIRE', key, ARGV[base + 5])
        end

        -- The verify order of API.md §4 once the record r = {id, value, hash, expiresAt, attempts,
        -- used} (fields `prefix`… of hash `key`) is known: empty code / used → not found, identifier
        -- → mismatch, expired (not counted), exceed_max_try (even for the right code; not counted),
        -- code_mismatch (counts one), success (consumes). The submitted code's HMACs under every
        -- configured secret are ARGV[first…]; all are compared, without stopping at a match.
        -- CodeRecord.judge is the same rule for SQLite.
        local function judge(key, prefix, r, now, value, maxAttempts, empty, first, generic)
          if empty == '1' or r[6] == '1' then return 'code_not_found' end
          if r[2] ~= value then
            if generic then return 'code_not_found' end
            return 'identifier_mismatch'
          end
          if now > (tonumber(r[4]) or 0) then return 'expired' end
          if (tonumber(r[5]) or maxAttempts) >= maxAttempts then return 'exceed_max_try' end
          local matched = false
          for i = first, #ARGV do
            if ARGV[i] == r[3] then matched = true end
          end
          if matched then
            redis.call('HSET', key, prefix .. 'used', 1)
            return 'verified'
          end
          redis.call('HINCRBY', key, prefix .. 'att', 1)
          return 'code_mismatch'
        end

        local function interactionIsLive(key, now)
          local ends = tonumber(redis.call('HGET', key, 'exp'))
          return ends ~= nil and ends > now
        end

        """#

    private static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: prelude + body)
    }

    /// KEYS: sends. ARGV: now, limit, window, cooldown, retention, member, ttl ms.
    static let take = script("take", #"""
        return take(KEYS[1], 1)
        """#)

    /// The whole Generic issue without a client bucket: the recipient's sends and the record share
    /// the recipient's tag. KEYS: sends, record. ARGV: take's 7, then putGeneric's 6.
    static let issueGeneric = script("issueGeneric", #"""
        local taken = take(KEYS[1], 1)
        if taken[1] == 'taken' then putGeneric(KEYS[2], 8) end
        return taken
        """#)

    /// KEYS: record. ARGV: id, value, template, hash, expiresAt, ttl ms.
    static let putGeneric = script("putGeneric", #"""
        putGeneric(KEYS[1], 1)
        return 1
        """#)

    /// One record per identifier type per interaction: replaces the type's record if the
    /// interaction is live (API.md §3.1). KEYS: interaction. ARGV: now, type, id, value, template,
    /// hash, expiresAt. Returns 1, or 0 if the interaction is gone.
    static let putInteractionRecord = script("putInteractionRecord", #"""
        if not interactionIsLive(KEYS[1], tonumber(ARGV[1])) then return 0 end
        local p = ARGV[2] .. ':'
        redis.call('HSET', KEYS[1], p .. 'id', ARGV[3], p .. 'val', ARGV[4], p .. 'tpl', ARGV[5],
                   p .. 'hash', ARGV[6], p .. 'exp', ARGV[7], p .. 'att', 0, p .. 'used', 0)
        return 1
        """#)

    /// KEYS: interaction. ARGV: event, expiresAt, ttl ms.
    static let createInteraction = script("createInteraction", #"""
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'ev', ARGV[1], 'exp', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """#)

    /// Replaces the event, renews the lifetime and forgets every record of a live interaction.
    /// KEYS: interaction. ARGV: now, event, expiresAt, ttl ms. Returns 1, or 0 if it is gone.
    static let resetInteraction = script("resetInteraction", #"""
        if not interactionIsLive(KEYS[1], tonumber(ARGV[1])) then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'ev', ARGV[2], 'exp', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """#)

    /// KEYS: record. ARGV: now, id, value, maxAttempts, codeIsEmpty (0/1), grace, HMACs…
    /// A record past its expiry plus the grace counts as purged.
    static let verifyGeneric = script("verifyGeneric", #"""
        local now = tonumber(ARGV[1])
        local r = redis.call('HMGET', KEYS[1], 'id', 'val', 'hash', 'exp', 'att', 'used')
        if r[1] ~= ARGV[2] then return 'code_not_found' end
        if now > (tonumber(r[4]) or 0) + tonumber(ARGV[6]) then return 'code_not_found' end
        return judge(KEYS[1], '', r, now, ARGV[3], tonumber(ARGV[4]), ARGV[5], 7, true)
        """#)

    /// KEYS: interaction. ARGV: now, type, verificationId, value, maxAttempts, codeIsEmpty, HMACs…
    static let verifyInteraction = script("verifyInteraction", #"""
        local now = tonumber(ARGV[1])
        if not interactionIsLive(KEYS[1], now) then return 'interaction_not_found' end
        local p = ARGV[2] .. ':'
        local r = redis.call('HMGET', KEYS[1], p .. 'id', p .. 'val', p .. 'hash', p .. 'exp', p .. 'att', p .. 'used')
        if r[1] ~= ARGV[3] then return 'verification_not_found' end
        return judge(KEYS[1], p, r, now, ARGV[4], tonumber(ARGV[5]), ARGV[6], 7, false)
        """#)

    /// Records one failed Experience verify of an exact identifier; locks it at the limit within
    /// the window, and the failure log restarts with the lock (API.md §5.2). A lock set meanwhile
    /// by a concurrent verify answers this failure as blocked too, without counting it.
    /// KEYS: fails, lock. ARGV: now, window, limit, lock seconds, member, fails ttl ms, lock ttl ms.
    /// Returns 1 when the identifier is (now) locked.
    static let countFailure = script("countFailure", #"""
        local now = tonumber(ARGV[1])
        local locked = tonumber(redis.call('GET', KEYS[2]))
        if locked and locked > now then return 1 end
        local since = now - tonumber(ARGV[2])
        redis.call('ZADD', KEYS[1], fmt(now), ARGV[5])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(since))
        if redis.call('ZCOUNT', KEYS[1], '(' .. fmt(since), '+inf') >= tonumber(ARGV[3]) then
          redis.call('SET', KEYS[2], fmt(now + tonumber(ARGV[4])), 'PX', ARGV[7])
          redis.call('DEL', KEYS[1])
          return 1
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 0
        """#)

    /// Removes what has expired from one key, as the SQLite purge does from its tables.
    /// KEYS: the key. ARGV: kind, now, expired-record grace, send retention, failure retention.
    /// Returns the number of entries removed.
    static let purgeKey = script("purgeKey", #"""
        local key, kind, now = KEYS[1], ARGV[1], tonumber(ARGV[2])
        if redis.call('EXISTS', key) == 0 then return 0 end
        if kind == 'ix' then
          if interactionIsLive(key, now) then return 0 end
          local n = 1
          if redis.call('HEXISTS', key, 'email:id') == 1 then n = n + 1 end
          if redis.call('HEXISTS', key, 'phone:id') == 1 then n = n + 1 end
          redis.call('DEL', key)
          return n
        elseif kind == 'g' then
          local r = redis.call('HMGET', key, 'used', 'exp')
          if r[1] == '1' or (tonumber(r[2]) or 0) < now - tonumber(ARGV[3]) then return redis.call('DEL', key) end
          return 0
        elseif kind == 'sends' then
          return redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - tonumber(ARGV[4])))
        elseif kind == 'fails' then
          return redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - tonumber(ARGV[5])))
        elseif kind == 'lock' then
          local ends = tonumber(redis.call('GET', key))
          if ends and ends > now then return 0 end
          return redis.call('DEL', key)
        elseif kind == 'slots' then
          local sent = tonumber(string.match(redis.call('GET', key) or '', '^[^\n]*'))
          if sent and sent > now - tonumber(ARGV[4]) then return 0 end
          return redis.call('DEL', key)
        end
        return 0
        """#)
}
