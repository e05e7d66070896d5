import SocketCore
import Synchronization
import SyncCore

/// Collects what a test observes from loop callbacks, readable from any thread.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Locked<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
}

/// Starts an echo server: everything read is written back; at end of input it closes after writing.
func startEchoListener(on loop: EventLoop, address: SocketAddress) async throws -> LoopBound<Listener> {
    try await loop.submit {
        let listener: Listener
        switch address {
        case .unix(let path):
            listener = try Listener.unix(path: path, on: loop) { accepted in echo(accepted, loop) }
        case .ip:
            listener = try Listener.tcp(address, on: loop) { accepted in echo(accepted, loop) }
        }
        return LoopBound(listener, loop: loop)
    }
}

private func echo(_ accepted: AcceptedSocket, _ loop: EventLoop) {
    guard let connection = try? StreamConnection(accepted: accepted, on: loop) else { return }
    connection.onRead = { [unowned connection] chunk in connection.write(chunk) }
    connection.onReadEOF = { [unowned connection] in connection.close(.afterWrites) }
}

func closeListener(_ listener: LoopBound<Listener>) async {
    _ = try? await listener.loop.submit { listener.value.close() }
}

/// Connects with `StreamConnection`, sends `payload`, half-closes, and returns all bytes received
/// until the server closes.
func roundTrip(_ payload: [UInt8], to address: SocketAddress, on loop: EventLoop) async throws -> [UInt8] {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
        loop.execute {
            StreamConnection.connect(to: address, on: loop, timeout: .seconds(5)) { result in
                switch result {
                case .failure(let error):
                    continuation.resume(throwing: error)
                case .success(let connection):
                    var received: [UInt8] = []
                    connection.onRead = { received.append(contentsOf: $0) }
                    connection.onReadEOF = { [unowned connection] in connection.close(.immediately) }
                    connection.onClose = { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: received) }
                    }
                    connection.write(payload)
                    connection.shutdownWrite()
                }
            }
        }
    }
}

func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 / 251) }
}

/// A counter shared across threads.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}
