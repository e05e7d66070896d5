import Foundation

/// A fresh temporary directory for one test, removed by `remove()` (call it in `defer`).
/// Paths are kept short because Unix socket paths must fit in 107 bytes.
public struct TestDirectory: Sendable {
    public let path: String

    public init(prefix: String = "pc") throws {
        let base = FileManager.default.temporaryDirectory.path
        let name = "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
        path = (base as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// `name` inside the directory.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
