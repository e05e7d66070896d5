import Foundation
import Glibc

/// A small tmpfs mounted for one test, so the data directory can really run out of space. Needs
/// root (CAP_SYS_ADMIN); `isPermitted` probes once so the suite is skipped, not failed, elsewhere.
struct TmpfsMount: Sendable {
    let path: String

    init(megabytes: Int) throws {
        path = PasscodeProcess.makeTemporaryDirectory("tmpfs")
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0700") == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw E2EError.http("mount tmpfs: \(reason)")
        }
    }

    func unmount() {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    static let isPermitted: Bool = {
        guard let probe = try? TmpfsMount(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    /// Writes a file until the file system is full; returns its path.
    func fill(name: String = "filler") -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return file }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 4096)
        // Bounded by the mount size; stops at ENOSPC.
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var byte: UInt8 = 0
        while write(fd, &byte, 1) > 0 {}
        return file
    }

    /// Free bytes left on the mount.
    var available: Int {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return -1 }
        return Int(stats.f_bavail) * Int(stats.f_bsize)
    }
}
