import ConfigCore
import CryptoCore
import Foundation
import Testing

@Suite struct ServerSecretsTests {
    @Test func configuredSecretsAreUsedPrimaryFirst() throws {
        try withTemporaryDirectory { dir in
            let env = Environment(["PASSCODE_SECRET": "new-secret-0123456789, old-secret-0123456789"])
            let secrets = try ServerSecrets.load(environment: env, dataDirectory: DataDirectory(path: dir))
            #expect(secrets.primary == Array("new-secret-0123456789".utf8))
            #expect(secrets.all == [Array("new-secret-0123456789".utf8), Array("old-secret-0123456789".utf8)])
            #expect(!FileManager.default.fileExists(atPath: dir + "/secret"))
        }
    }

    @Test(arguments: ["short", "long-enough-secret-1,short", "long-enough-secret-1,,long-enough-secret-2", " , "])
    func configuredSecretShorterThan16CharactersIsAConfigError(_ value: String) throws {
        try withTemporaryDirectory { dir in
            let env = Environment(["PASSCODE_SECRET": value])
            #expect(throws: ConfigError.self) {
                _ = try ServerSecrets.load(environment: env, dataDirectory: DataDirectory(path: dir))
            }
        }
    }

    @Test func configErrorNeverContainsTheSecret() throws {
        try withTemporaryDirectory { dir in
            let env = Environment(["PASSCODE_SECRET": "long-enough-secret-1,tooShortXyz"])
            do {
                _ = try ServerSecrets.load(environment: env, dataDirectory: DataDirectory(path: dir))
                Issue.record("expected a ConfigError")
            } catch let error as ConfigError {
                #expect(!error.description.contains("tooShortXyz"))
                #expect(!error.description.contains("long-enough-secret-1"))
            }
        }
    }

    @Test func missingSecretIsGeneratedAsHexWithMode0600() throws {
        try withTemporaryDirectory { dir in
            let data = DataDirectory(path: dir + "/data")
            let secrets = try ServerSecrets.load(environment: Environment([:]), dataDirectory: data)
            let text = try String(contentsOfFile: data.secretFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(text.count == 64)
            #expect(Hex.decode(text)?.count == 32)
            #expect(secrets.primary == Array(text.utf8))
            #expect(secrets.all.count == 1)
            let attributes = try FileManager.default.attributesOfItem(atPath: data.secretFile)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test func generatedSecretIsReusedOnTheNextStart() throws {
        try withTemporaryDirectory { dir in
            let data = DataDirectory(path: dir)
            let first = try ServerSecrets.load(environment: Environment([:]), dataDirectory: data)
            let second = try ServerSecrets.load(environment: Environment([:]), dataDirectory: data)
            #expect(first.primary == second.primary)
        }
    }

    @Test func generatedFileContentWorksAsAConfiguredSecret() throws {
        try withTemporaryDirectory { dir in
            let data = DataDirectory(path: dir)
            let generated = try ServerSecrets.load(environment: Environment([:]), dataDirectory: data)
            let text = String(decoding: generated.primary, as: UTF8.self)
            let configured = try ServerSecrets.load(environment: Environment(["PASSCODE_SECRET": "rotated-secret-abcdef," + text]),
                                                    dataDirectory: data)
            #expect(configured.all.last == generated.primary)
        }
    }

    @Test func racingCreatorsAgreeOnOneSecret() throws {
        for _ in 0..<10 {
            try withTemporaryDirectory { dir in
                let data = DataDirectory(path: dir)
                let results = Results()
                DispatchQueue.concurrentPerform(iterations: 16) { _ in
                    results.append(try? ServerSecrets.load(environment: Environment([:]), dataDirectory: data).primary)
                }
                let all = results.values
                #expect(all.count == 16)
                #expect(all.allSatisfy { $0 != nil })
                #expect(Set(all.compactMap { $0 }).count == 1)
                // The temp files used for the atomic creation are gone.
                let files = try FileManager.default.contentsOfDirectory(atPath: dir)
                #expect(files == ["secret"])
            }
        }
    }

    @Test func tooShortSecretFileIsAConfigError() throws {
        try withTemporaryDirectory { dir in
            try "tiny\n".write(toFile: dir + "/secret", atomically: true, encoding: .utf8)
            #expect(throws: ConfigError.self) {
                _ = try ServerSecrets.load(environment: Environment([:]), dataDirectory: DataDirectory(path: dir))
            }
        }
    }
}
