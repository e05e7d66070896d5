import ConfigCore
import LifecycleCore
import LogCore
import VerifierService

ProcessMain.run(service: "verifier") {
    let environment = try Environment.load()
    try SchedulingPolicy.apply(environment)
    let logger = Logger(service: "verifier", level: LogLevel(name: environment.string("PASSCODE_LOG_LEVEL", default: "info")) ?? .info)
    let process = try VerifierProcess(environment: environment, logger: logger)
    return try ServiceRunner(services: [process], logger: logger).run()
}
