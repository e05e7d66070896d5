import Foundation
import Synchronization
import SyncCore

/// Runs `body` with a fresh private directory that is removed afterwards, whatever happens.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "cryptocore-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Collects values from concurrent closures.
final class Results: Sendable {
    private let storage = Locked<[[UInt8]?]>([])
    func append(_ value: [UInt8]?) { storage.withLock { $0.append(value) } }
    var values: [[UInt8]?] { storage.withLock { $0 } }
}
