import Contracts
import Testing
@testable import VerifierService

/// Issue 7: a verify must cost the same with a million live records as with a thousand, so no
/// statement on the issue and verify paths may scan a table.
@Suite struct QueryPlanTests {
    @Test func issueAndVerifyStatementsSearchByIndex() async throws {
        let config = Fixture.config { $0.lockoutAttempts = 2; $0.sendLimit = 2; $0.resendCooldown = 1 }
        try await withFixture(.sqlite, config: config) { f in
            // Every branch of issue and verify, so each statement they use gets prepared.
            let generic = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(generic.code)) }
            _ = try await f.verifyGeneric(.email("a@x.com"), generic.code)
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("b@x.com"), "123456") }
            let i = try await f.startInteraction()
            _ = try await f.issue(in: i, .email("c@x.com"), clientIP: "192.0.2.1")
            await expectFailure("request.message_rate_limited") { try await f.issue(in: i, .email("c@x.com")) } // cool-down
            f.clock.advance(2)
            let issued = try await f.issue(in: i, .email("c@x.com"), clientIP: "192.0.2.1")
            f.clock.advance(2)
            await expectFailure("request.message_rate_limited") { try await f.issue(in: i, .email("c@x.com")) } // window full
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: i, .email("c@x.com"), id: issued.verificationId, code: wrong(issued.code))
            }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, .email("c@x.com"), id: issued.verificationId, code: wrong(issued.code))
            }
            _ = try await f.verifier.getInteraction(.init(interactionId: i))
            _ = try await f.verifier.releaseSlot(.init(verificationId: issued.verificationId))

            let plans = try await f.verifier.worker.perform { store -> [QueryPlan] in
                guard let sqlite = store as? SQLiteStore else { return [] }
                let statements = sqlite.db.preparedSQL.filter { sql in
                    ["SELECT", "UPDATE", "DELETE", "INSERT"].contains { sql.hasPrefix($0) }
                }
                return try statements.map { sql in
                    QueryPlan(sql: sql, steps: try sqlite.db.rows("EXPLAIN QUERY PLAN " + sql).compactMap { $0.count > 3 ? $0[3].string : nil })
                }
            }
            #expect(plans.count >= 20)
            for plan in plans {
                // "SCAN <table>" walks the table (or a whole index); SEARCH uses a key range.
                let scans = plan.steps.filter { $0.hasPrefix("SCAN ") && !$0.hasPrefix("SCAN CONSTANT") }
                #expect(scans.isEmpty, "\(plan.sql) -> \(plan.steps)")
            }
        }
    }
}

extension QueryPlanTests {
    /// Migration 5: the Generic verify's lookup reads the index alone (one leaf page at random among
    /// a million records, not two).
    @Test func theGenericLookupReadsOnlyTheIndex() throws {
        let store = try SQLiteStore(path: ":memory:")
        let plan = try store.db.rows("EXPLAIN QUERY PLAN " + SQLiteStore.selectLiveGenericRecord, [.text("email"), .text("a@x.com")])
            .compactMap { $0.count > 3 ? $0[3].string : nil }
        #expect(plan.contains { $0.hasPrefix("SEARCH code_records USING COVERING INDEX code_records_generic") }, "\(plan)")
    }

    /// The covering index is not unique; a trigger keeps the rule the unique index of migration 1
    /// kept: one Generic record per exact identifier, any number of interaction records.
    @Test func aSecondGenericRecordForAnIdentifierIsRefused() throws {
        let store = try SQLiteStore(path: ":memory:")
        func insert(_ id: String, interaction: String?, value: String) throws {
            try store.db.run("""
                INSERT INTO code_records (id, interaction_id, identifier_type, identifier_value, template_type, code_hash, created_at, expires_at)
                VALUES (?, ?, 'email', ?, 'Generic', x'00', 0, 4000000000)
                """, [.text(id), interaction.map(SQLiteValue.text) ?? .null, .text(value)])
        }
        try insert("r1", interaction: nil, value: "a@x.com")
        #expect(throws: SQLiteError.self) { try insert("r2", interaction: nil, value: "a@x.com") }
        try insert("r3", interaction: nil, value: "A@x.com")  // exact identifiers: another one
        try insert("r4", interaction: "i1", value: "a@x.com")
        try insert("r5", interaction: "i2", value: "a@x.com")
        let ids = try store.db.rows("SELECT id FROM code_records ORDER BY id").compactMap { $0.first?.string }
        #expect(ids == ["r1", "r3", "r4", "r5"])
    }
}

struct QueryPlan: Sendable {
    var sql: String
    var steps: [String]
}
