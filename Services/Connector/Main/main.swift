import ConfigCore
import ConnectorService
import LifecycleCore
import LogCore

ProcessMain.run(service: "connector") {
    let environment = try Environment.load()
    try SchedulingPolicy.apply(environment)
    let logger = Logger(service: "connector", level: LogLevel(name: environment.string("PASSCODE_LOG_LEVEL", default: "info")) ?? .info)
    let process = try ConnectorProcess(environment: environment, logger: logger)
    return try ServiceRunner(services: [process], logger: logger).run()
}
