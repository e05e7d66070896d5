import Contracts

/// The live Generic records, held in memory by identifier in front of `code_records_generic`
/// (issue 7: a verify must cost the same with a million live records as with a thousand).
///
/// Why: with a million live records a Generic verify read its record through a five-level descent
/// of the covering index, whose pages (about 120 MiB) are far larger than the CPU caches: each
/// guess walked SQLite's page-cache hash and binary-searched cold pages, and the verifier spent
/// 5–18 µs more per guess than at 1,000 records. A hit here is one hash-table probe and one entry.
///
/// Coherence: the store keeps this table in step with every change its own connection makes to a
/// Generic record: a send puts the new record (`put`), a used code and the purge remove it
/// (`remove`). Whatever else could change the file empties the table, which then refills from the
/// store as verifies read it: a commit by any other connection (another store in this process, or
/// in another process when the file is opened `shared`: `check`, once per transaction), a rollback
/// (which can take back what a transaction put), and a rolled-back savepoint (`clear`). A miss is
/// never an answer: the store reads the record and puts it.
///
/// Memory: about 110 bytes a record (the entry, and its slot in the index), no allocation per
/// record: the record id is packed six bits a character, the code hash in four words. A record
/// whose id or hash does not fit is simply not held. Keys are the identifiers hashed twice with
/// `Hasher` (SipHash, seeded per process): 128 bits, so that two identifiers sharing both hashes
/// is about a 1-in-10^26 chance at a million records.
///
/// Confined to the store's thread, like the connection it mirrors.
final class GenericRecordCache {
    private struct Entry {
        var check: UInt64
        var id: PackedID
        var codeHash: (UInt64, UInt64, UInt64, UInt64)
        var expiresAt: Double
        var attempts: Int32
        var template: TemplateType
    }

    private var index: [UInt64: Int32] = [:]
    private var entries: [Entry] = []
    private var free: [Int32] = []
    /// The connection's rollback count and the file's `data_version` when the table was last known
    /// to be right.
    private var rollbacksSeen = 0
    private var dataVersionSeen: Int?
    /// The transaction (`SQLiteConnection.transactionMark`) the last `check` ran in, if any.
    private var checkedIn: SQLiteConnection.TransactionMark?
    /// How many times the table was emptied (tests).
    private(set) var clears = 0

    /// Records held.
    var count: Int { index.count }

    /// Call before any other use inside a transaction: empties the table if the connection rolled
    /// a transaction back, or another connection committed to the file (`PRAGMA data_version`,
    /// sqlite.org/pragma.html#pragma_data_version), since the last check. Once per transaction is
    /// enough: its write lock keeps every other connection from committing until it ends.
    func check(_ db: SQLiteConnection) throws {
        if db.inTransaction, checkedIn == db.transactionMark { return }
        checkedIn = nil
        let version = try db.scalar("PRAGMA data_version")?.int
        if db.rollbacks != rollbacksSeen || version != dataVersionSeen {
            rollbacksSeen = db.rollbacks
            dataVersionSeen = version
            clear()
        }
        if db.inTransaction { checkedIn = db.transactionMark }
    }

    /// Forgets every record (a savepoint holding a `put` or a `remove` was rolled back).
    func clear() {
        index.removeAll()
        entries.removeAll()
        free.removeAll()
        clears += 1
    }

    /// The live Generic record of `identifier`, if held. Its `attempts` are the row's own column
    /// (the attempt ledger's count is added by the caller, as for a record read from the store).
    func record(of identifier: Identifier) -> CodeRecord? {
        let (key, check) = Self.keys(identifier)
        guard let slot = index[key] else { return nil }
        let entry = entries[Int(slot)]
        guard entry.check == check, let id = entry.id.string else { return nil }
        return CodeRecord(id: id, interactionID: nil, identifier: identifier, templateType: entry.template,
                          codeHash: Self.bytes(entry.codeHash), expiresAt: entry.expiresAt,
                          attempts: Int(entry.attempts), consumed: false)
    }

    /// Holds `record` as its identifier's live Generic record, in place of any other. A record that
    /// is not a live Generic one, or does not fit an entry, only removes what was held.
    func put(_ record: CodeRecord) {
        guard record.interactionID == nil, !record.consumed, let id = PackedID(record.id),
              let hash = Self.words(record.codeHash), let attempts = Int32(exactly: record.attempts) else {
            remove(record.identifier)
            return
        }
        let (key, check) = Self.keys(record.identifier)
        let entry = Entry(check: check, id: id, codeHash: hash, expiresAt: record.expiresAt, attempts: attempts,
                          template: record.templateType)
        if let slot = index[key] {
            entries[Int(slot)] = entry
        } else if let slot = free.popLast() {
            entries[Int(slot)] = entry
            index[key] = slot
        } else {
            guard let slot = Int32(exactly: entries.count) else { return }
            entries.append(entry)
            index[key] = slot
        }
    }

    /// Forgets `identifier`'s record.
    func remove(_ identifier: Identifier) {
        let (key, _) = Self.keys(identifier)
        if let slot = index.removeValue(forKey: key) { free.append(slot) }
    }

    private static func keys(_ identifier: Identifier) -> (UInt64, UInt64) {
        var first = Hasher()
        first.combine(identifier.type)
        first.combine(identifier.value)
        var second = Hasher()
        second.combine(0x5EC0_7D00 as UInt32)
        second.combine(identifier.value)
        second.combine(identifier.type)
        return (UInt64(bitPattern: Int64(first.finalize())), UInt64(bitPattern: Int64(second.finalize())))
    }

    private static func words(_ bytes: [UInt8]) -> (UInt64, UInt64, UInt64, UInt64)? {
        guard bytes.count == 32 else { return nil }
        return bytes.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    private static func bytes(_ words: (UInt64, UInt64, UInt64, UInt64)) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: words.0, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: words.2, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: words.3, toByteOffset: 24, as: UInt64.self)
            count = 32
        }
    }
}

/// A record id of up to 40 characters of `[0-9a-z]` (SecureRandom's ids: 35 characters, or 26
/// before they were time-ordered) in four words, six bits a character, 0 marking the end.
struct PackedID: Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static let capacity = 40
    private static let perWord = 10

    /// nil when `id` is empty, longer than `capacity` or has a character outside `[0-9a-z]`.
    init?(_ id: String) {
        var position = 0
        for byte in id.utf8 {
            guard position < Self.capacity else { return nil }
            let code: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): code = UInt64(byte - UInt8(ascii: "0")) + 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"): code = UInt64(byte - UInt8(ascii: "a")) + 11
            default: return nil
            }
            let bits = code << UInt64(6 * (position % Self.perWord))
            switch position / Self.perWord {
            case 0: words.0 |= bits
            case 1: words.1 |= bits
            case 2: words.2 |= bits
            default: words.3 |= bits
            }
            position += 1
        }
        guard position > 0 else { return nil }
    }

    private func code(at position: Int) -> UInt64 {
        let word: UInt64
        switch position / Self.perWord {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return (word >> UInt64(6 * (position % Self.perWord))) & 63
    }

    /// The id again.
    var string: String? {
        var length = 0
        while length < Self.capacity, code(at: length) != 0 { length += 1 }
        guard length > 0 else { return nil }
        return String(unsafeUninitializedCapacity: length) { buffer in
            for position in 0..<length {
                let code = code(at: position)
                buffer[position] = code <= 10 ? UInt8(ascii: "0") + UInt8(code - 1) : UInt8(ascii: "a") + UInt8(code - 11)
            }
            return length
        }
    }

    static func == (lhs: PackedID, rhs: PackedID) -> Bool {
        lhs.words == rhs.words
    }
}
