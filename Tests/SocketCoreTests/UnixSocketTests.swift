import Foundation
import Testing
import TestSupport
@testable import SocketCore

@Suite struct UnixSocketTests {
    @Test func echoOverUnixSocket() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop(name: "unix")
        defer { loop.shutdown() }
        let path = directory.file("echo.sock")
        let listener = try await startEchoListener(on: loop, address: .unix(path: path))
        let echoed = try await roundTrip(Array("over unix".utf8), to: .unix(path: path), on: loop)
        #expect(echoed == Array("over unix".utf8))
        await closeListener(listener)
    }

    @Test func staleSocketFileIsReplaced() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("stale.sock")
        // A socket file whose server died: bound, then closed without unlinking.
        let dead = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = try SocketAddress.unix(path: path).withSockAddr("bind") { sa, length in bind(dead, sa, length) }
        close(dead)
        #expect(FileManager.default.fileExists(atPath: path))

        let loop = try EventLoop(name: "stale")
        defer { loop.shutdown() }
        let listener = try await startEchoListener(on: loop, address: .unix(path: path))
        let echoed = try await roundTrip(Array("fresh".utf8), to: .unix(path: path), on: loop)
        #expect(echoed == Array("fresh".utf8))
        await closeListener(listener)
    }

    @Test func liveSocketIsNotTakenOver() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("live.sock")
        let loop = try EventLoop(name: "live")
        defer { loop.shutdown() }
        let listener = try await startEchoListener(on: loop, address: .unix(path: path))
        await #expect(throws: SocketError.self) {
            _ = try await startEchoListener(on: loop, address: .unix(path: path))
        }
        // The first server still works.
        let echoed = try await roundTrip(Array("still".utf8), to: .unix(path: path), on: loop)
        #expect(echoed == Array("still".utf8))
        await closeListener(listener)
    }

    @Test func socketFileHasMode0600() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("mode.sock")
        let loop = try EventLoop(name: "mode")
        defer { loop.shutdown() }
        let listener = try await startEchoListener(on: loop, address: .unix(path: path))
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        await closeListener(listener)
    }

    @Test func socketFileIsRemovedOnClose() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("gone.sock")
        let loop = try EventLoop(name: "gone")
        defer { loop.shutdown() }
        let listener = try await startEchoListener(on: loop, address: .unix(path: path))
        #expect(FileManager.default.fileExists(atPath: path))
        await closeListener(listener)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func pathLongerThanSunPathFailsClearly() async throws {
        let loop = try EventLoop(name: "long")
        defer { loop.shutdown() }
        let path = "/tmp/" + String(repeating: "x", count: 120) + ".sock"
        do {
            _ = try await startEchoListener(on: loop, address: .unix(path: path))
            Issue.record("bind should have failed")
        } catch let error as SocketError {
            #expect(error.errno == ENAMETOOLONG)
            #expect(error.description.contains("limit is 107"))
        }
    }

    @Test func connectToMissingPathFailsFastWithClearError() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let loop = try EventLoop(name: "missing")
        defer { loop.shutdown() }
        let path = directory.file("nobody.sock")
        let (outcome, took) = await elapsed {
            await withCheckedContinuation { (continuation: CheckedContinuation<SocketError?, Never>) in
                loop.execute {
                    StreamConnection.connect(to: .unix(path: path), on: loop, timeout: .seconds(60)) { result in
                        switch result {
                        case .success(let connection):
                            connection.close(.immediately)
                            continuation.resume(returning: nil)
                        case .failure(let error):
                            continuation.resume(returning: error)
                        }
                    }
                }
            }
        }
        let error = try #require(outcome)
        #expect(error.errno == ENOENT)
        #expect(error.description.contains(path))
        // ENOENT already proves no timeout was waited for; the bound (half the 60 s timeout) only
        // guards against a hang, and tolerates a loaded machine or a sanitizer build.
        #expect(took < .seconds(30))
    }

    @Test func connectToRefusedTCPPortFailsFast() async throws {
        let loop = try EventLoop(name: "refused")
        defer { loop.shutdown() }
        // A port bound by a socket that never listens: refused, and no one else can take it meanwhile.
        let refusing = try RefusingPort()
        let port = refusing.port
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
            loop.execute {
                StreamConnection.connect(to: .ip(host: "127.0.0.1", port: port), on: loop, timeout: .seconds(5)) { result in
                    if case .failure(let error) = result { continuation.resume(returning: error.errno) } else { continuation.resume(returning: nil) }
                }
            }
        }
        #expect(outcome == ECONNREFUSED)
        withExtendedLifetime(refusing) {}
    }
}
