import ConfigCore
import Testing
@testable import VerifierService

/// `PASSCODE_STORE=redis://…` parsing.
@Suite struct RedisEndpointTests {
    @Test(arguments: [
        ("redis://127.0.0.1", RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))),
        ("redis://cache:6380/2", RedisEndpoint(address: .tcp(host: "cache", port: 6380), database: 2)),
        ("REDIS://cache/", RedisEndpoint(address: .tcp(host: "cache", port: 6379))),
        ("redis://[::1]:7000/1", RedisEndpoint(address: .tcp(host: "::1", port: 7000), database: 1)),
        ("redis://:s3cret@cache:6379", RedisEndpoint(address: .tcp(host: "cache", port: 6379), password: "s3cret")),
        ("redis://app:p%40ss%3Aw@cache:1/15",
         RedisEndpoint(address: .tcp(host: "cache", port: 1), username: "app", password: "p@ss:w", database: 15)),
        ("redis://app:p@ss@cache", RedisEndpoint(address: .tcp(host: "cache", port: 6379), username: "app", password: "p@ss")),
        ("redis+unix:///run/redis/redis.sock", RedisEndpoint(address: .unix(path: "/run/redis/redis.sock"))),
        ("redis+unix://:pw@/tmp/r.sock?db=3", RedisEndpoint(address: .unix(path: "/tmp/r.sock"), password: "pw", database: 3)),
    ])
    func validURLIsParsed(_ url: String, _ expected: RedisEndpoint) throws {
        #expect(try RedisEndpoint(url: url) == expected)
    }

    @Test(arguments: [
        "redis://", "redis://:6379", "redis://host:0", "redis://host:65536", "redis://host:port", "redis://host/x",
        "redis://host/-1", "redis://[::1", "redis://[::1]x", "redis://user@host", "redis://user:@host",
        "redis://u:%zz@host", "redis://u:%4@host", "http://host", "redis+unix://relative.sock", "redis+unix:///s?database=1",
        "redis+unix:///" + String(repeating: "a", count: 120), "redis://ho st", "redis://host:６３７９",
    ])
    func malformedURLIsRefused(_ url: String) {
        #expect(throws: RedisError.self) { try RedisEndpoint(url: url) }
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let endpoint = try RedisEndpoint(url: "redis://app:hunter2@cache:6379/1")
        #expect(endpoint.description == "redis://app:***@cache:6379/1")
        #expect(!"\(endpoint)".contains("hunter2"))
    }

    @Test func configErrorForABadRedisURLNeverShowsThePassword() {
        do {
            _ = try VerifierConfig.load(Environment(["PASSCODE_STORE": "redis://app:hunter2@cache:notaport"]))
            Issue.record("a bad port was accepted")
        } catch let error as ConfigError {
            #expect(error.variable == "PASSCODE_STORE")
            #expect(!"\(error)".contains("hunter2"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func unixSocketURLSelectsTheRedisStore() throws {
        let config = try VerifierConfig.load(Environment(["PASSCODE_STORE": "redis+unix:///run/redis.sock?db=1"]))
        #expect(config.store == .redis(url: "redis+unix:///run/redis.sock?db=1"))
    }
}
