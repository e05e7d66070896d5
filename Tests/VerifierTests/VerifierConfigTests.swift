import ConfigCore
import Testing
@testable import VerifierService

@Suite struct VerifierConfigTests {
    @Test func defaultsMatchTheSpec() throws {
        let c = try VerifierConfig.load(Environment([:]))
        #expect(c.codeTTL == 600 && c.maxAttempts == 10 && c.codeLength == 6)
        #expect(c.sendLimit == 10 && c.sendWindow == 600)
        #expect(c.lockoutAttempts == 100 && c.lockoutMinutes == 60 && c.lockoutWindow == 3600)
        #expect(c.ipSendLimit == 30 && c.ipSendWindow == 600 && c.resendCooldown == 0)
        #expect(c.store == .sqlite && c.interactionLifetime == 3600)
        #expect(c.sqliteCacheMiB == 128 && !c.sqliteShared)
    }

    @Test func valuesAreRead() throws {
        let c = try VerifierConfig.load(Environment([
            "PASSCODE_CODE_TTL": "60", "PASSCODE_MAX_ATTEMPTS": "100", "PASSCODE_CODE_LENGTH": "10",
            "PASSCODE_SEND_LIMIT": "3", "PASSCODE_SEND_WINDOW": "30", "PASSCODE_LOCKOUT_ATTEMPTS": "5",
            "PASSCODE_LOCKOUT_MINUTES": "2", "PASSCODE_LOCKOUT_WINDOW": "120", "PASSCODE_IP_SEND_LIMIT": "7",
            "PASSCODE_IP_SEND_WINDOW": "70", "PASSCODE_RESEND_COOLDOWN": "45", "PASSCODE_STORE": "redis://cache:6379/2",
            "PASSCODE_SQLITE_CACHE_MIB": "24", "PASSCODE_SQLITE_SHARED": "true",
        ]))
        #expect(c.codeTTL == 60 && c.maxAttempts == 100 && c.codeLength == 10)
        #expect(c.sendLimit == 3 && c.sendWindow == 30)
        #expect(c.lockoutAttempts == 5 && c.lockoutMinutes == 2 && c.lockoutWindow == 120)
        #expect(c.ipSendLimit == 7 && c.ipSendWindow == 70 && c.resendCooldown == 45)
        #expect(c.store == .redis(url: "redis://cache:6379/2"))
        #expect(c.verifyPolicy.lockoutDuration == 120)
        #expect(c.sqliteCacheMiB == 24 && c.sqliteShared)
    }

    @Test(arguments: [
        ("PASSCODE_CODE_TTL", "59"), ("PASSCODE_CODE_TTL", "3601"), ("PASSCODE_CODE_TTL", "ten"),
        ("PASSCODE_MAX_ATTEMPTS", "0"), ("PASSCODE_MAX_ATTEMPTS", "101"),
        ("PASSCODE_CODE_LENGTH", "3"), ("PASSCODE_CODE_LENGTH", "11"), ("PASSCODE_CODE_LENGTH", "6.5"),
        ("PASSCODE_SEND_LIMIT", "0"), ("PASSCODE_SEND_LIMIT", "-1"), ("PASSCODE_SEND_WINDOW", "0"),
        ("PASSCODE_LOCKOUT_ATTEMPTS", "0"), ("PASSCODE_LOCKOUT_MINUTES", "0"), ("PASSCODE_LOCKOUT_WINDOW", "0"),
        ("PASSCODE_IP_SEND_LIMIT", "0"), ("PASSCODE_IP_SEND_WINDOW", "0"),
        ("PASSCODE_RESEND_COOLDOWN", "-1"), ("PASSCODE_RESEND_COOLDOWN", "3601"),
        ("PASSCODE_SQLITE_CACHE_MIB", "0"), ("PASSCODE_SQLITE_CACHE_MIB", "65537"), ("PASSCODE_SQLITE_CACHE_MIB", "lots"),
        ("PASSCODE_SQLITE_SHARED", "maybe"),
        ("PASSCODE_STORE", "postgres://db"), ("PASSCODE_STORE", "redis://"), ("PASSCODE_STORE", "memory"),
    ])
    func invalidValueIsAConfigErrorNamingTheVariable(_ variable: String, _ value: String) {
        do {
            _ = try VerifierConfig.load(Environment([variable: value]))
            Issue.record("\(variable)=\(value) was accepted")
        } catch let error as ConfigError {
            #expect(error.variable == variable)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [("PASSCODE_CODE_TTL", "3600"), ("PASSCODE_CODE_LENGTH", "4"), ("PASSCODE_MAX_ATTEMPTS", "1"),
                      ("PASSCODE_RESEND_COOLDOWN", "0"), ("PASSCODE_SQLITE_CACHE_MIB", "1"),
                      ("PASSCODE_SQLITE_CACHE_MIB", "65536"), ("PASSCODE_STORE", "SQLite"), ("PASSCODE_STORE", "redis://127.0.0.1")])
    func boundaryValuesAreAccepted(_ variable: String, _ value: String) throws {
        _ = try VerifierConfig.load(Environment([variable: value]))
    }
}
