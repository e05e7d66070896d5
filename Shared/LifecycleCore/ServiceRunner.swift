import ConfigCore
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import LogCore
import Synchronization
import SyncCore

/// Runs a process's services: starts them in order, waits for SIGINT/SIGTERM, stops them in
/// reverse order (each within the grace period), in the manner of swift-service-lifecycle.
/// `main` stays synchronous: the signal wait blocks the main thread, never a task.
public struct ServiceRunner: Sendable {
    let services: [any Service]
    let logger: Logger
    let grace: Duration

    public init(services: [any Service], logger: Logger, grace: Duration = .seconds(10)) {
        self.services = services
        self.logger = logger
        self.grace = grace
    }

    /// Returns the exit status: 0 after a clean drain; the start error is thrown.
    public func run() throws -> Int32 {
        let services = self.services
        let grace = self.grace
        let started = try Self.blocking { () async throws -> Int in
            var count = 0
            do {
                for service in services {
                    try await service.start()
                    count += 1
                }
            } catch {
                for service in services[..<count].reversed() { await service.shutdown(grace: grace) }
                throw error
            }
            return count
        }
        logger.notice("started", ["components": services.prefix(started).map(\.name).joined(separator: ",")])
        let signal = TerminationSignals.wait()
        logger.notice("stopping", ["signal": String(signal)])
        try Self.blocking { () async -> Void in
            for service in services.reversed() { await service.shutdown(grace: grace) }
        }
        logger.notice("stopped")
        return 0
    }

    /// Runs async work to completion from synchronous code (only ever the main thread here).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Locked<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

/// The shared body of each executable's `main.swift`: catches every error and maps it to an exit
/// code (78 for configuration errors, as sysexits.h's EX_CONFIG).
public enum ProcessMain {
    public static func run(service name: String, blockSignals: Bool = true, _ body: () throws -> Int32) -> Never {
        if blockSignals {
            TerminationSignals.block()
        }
        TerminationSignals.dieWithParent(environment: ProcessInfo.processInfo.environment)
        do {
            exit(try body())
        } catch let error as ConfigError {
            StandardErrorSink().write(line: "passcode-\(name): \(error.description)\n")
            exit(ConfigError.exitCode)
        } catch let error as StartupError {
            StandardErrorSink().write(line: "passcode-\(name): \(error.description)\n")
            exit(error.exitCode)
        } catch {
            StandardErrorSink().write(line: "passcode-\(name): \(error)\n")
            exit(1)
        }
    }
}

/// A failure to start that a restart cannot fix (port in use, socket path taken): the launcher
/// sees a sysexits code and stops instead of restarting in a loop.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public var exitCode: Int32

    public init(_ description: String, exitCode: Int32 = 69) {
        self.description = description
        self.exitCode = exitCode
    }
}
