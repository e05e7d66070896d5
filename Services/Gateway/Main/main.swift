import ConfigCore
import GatewayService
import LifecycleCore
import LogCore

ProcessMain.run(service: "gateway") {
    let environment = try Environment.load()
    try SchedulingPolicy.apply(environment)
    let logger = Logger(service: "gateway", level: LogLevel(name: environment.string("PASSCODE_LOG_LEVEL", default: "info")) ?? .info)
    let process = try GatewayProcess(environment: environment, logger: logger)
    return try ServiceRunner(services: [process], logger: logger).run()
}
