import ConfigCore
import Foundation
import LogCore

/// Runs a process's services: starts them in order, waits for SIGINT/SIGTERM, stops them in
/// reverse order (each within the grace period), in the manner of swift-service-lifecycle.
public struct ServiceRunner {
    let services: [any Service]
    let logger: Logger
    let grace: Duration

    public init(services: [any Service], logger: Logger, grace: Duration = .seconds(10)) {
        self.services = services
        self.logger = logger
        self.grace = grace
    }

    /// Returns the exit status: 0 after a clean drain.
    public func run() -> Int32 {
        var started: [any Service] = []
        for service in services {
            do {
                try service.start()
                started.append(service)
            } catch {
                logger.error("start failed", ["component": service.name, "error": "\(error)"])
                stop(started)
                return 1
            }
        }
        logger.notice("started", ["components": services.map(\.name).joined(separator: ",")])
        let signal = TerminationSignals.wait()
        logger.notice("stopping", ["signal": String(signal)])
        stop(started)
        logger.notice("stopped")
        return 0
    }

    private func stop(_ started: [any Service]) {
        for service in started.reversed() { service.shutdown(grace: grace) }
    }
}

/// The shared body of each executable's `main.swift`: catches every error and maps it to an exit code.
public enum ProcessMain {
    public static func run(service name: String, blockSignals: Bool = true, _ body: () throws -> Int32) -> Never {
        if blockSignals {
            TerminationSignals.block()
            TerminationSignals.dieWithParent(environment: ProcessInfo.processInfo.environment)
        }
        do {
            exit(try body())
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("passcode-\(name): \(error.description)\n".utf8))
            exit(ConfigError.exitCode)
        } catch {
            FileHandle.standardError.write(Data("passcode-\(name): \(error)\n".utf8))
            exit(1)
        }
    }
}

