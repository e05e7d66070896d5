import ConfigCore
import CryptoCore
import Foundation
import LogCore

/// The `passcode` command: `up` runs the three services locally; `config` prints the effective
/// configuration with secrets redacted; `version`; `help`.
public enum Launcher {
    public static let version = "0.1.0"

    public static let usage = """
        usage: passcode <command> [--flag value ...]

        commands:
          up        run gateway, verifier and connector (embedded defaults: SQLite + outbox)
          config    print the effective PASSCODE_* configuration, secrets redacted
          version   print the version
          help      this text

        Every PASSCODE_* variable can also be given as a flag: --listen 127.0.0.1:9000 sets PASSCODE_LISTEN.
        See README.md for the variables.
        """

    public static func main(arguments: [String]) throws -> Int32 {
        let command = arguments.first ?? "help"
        let rest = Array(arguments.dropFirst())
        switch command {
        case "up":
            return try up(environment: try Environment.load(arguments: rest))
        case "config":
            print(try Environment.load(arguments: rest).redactedDescription())
            return 0
        case "version", "--version":
            print("passcode \(version)")
            return 0
        case "help", "--help", "-h":
            print(usage)
            return 0
        default:
            FileHandle.standardError.write(Data("passcode: unknown command \"\(command)\"\n\n\(usage)\n".utf8))
            return 64
        }
    }

    static func up(environment: Environment) throws -> Int32 {
        let level = LogLevel(name: environment.string("PASSCODE_LOG_LEVEL", default: "info")) ?? .info
        let logger = Logger(service: "launcher", level: level)
        // Children get an absolute data directory so their working directory does not matter.
        let dataPath = URL(fileURLWithPath: environment.string("PASSCODE_DATA_DIR", default: "./.passcode")).standardizedFileURL.path
        let dataDirectory = DataDirectory(path: dataPath)
        try dataDirectory.ensureExists()
        // Create the secret once here so the children never race to create it.
        _ = try ServerSecrets.load(environment: environment, dataDirectory: dataDirectory)
        var childEnvironment = environment.values
        childEnvironment["PASSCODE_DATA_DIR"] = dataPath
        let supervisor = Supervisor(binDirectory: binDirectory(environment), environment: childEnvironment,
                                    dataDirectory: dataDirectory, logger: logger)
        return try supervisor.run()
    }

    /// The services' executables sit next to `passcode` unless `PASSCODE_BIN_DIR` says otherwise.
    static func binDirectory(_ environment: Environment) -> String {
        if let dir = environment["PASSCODE_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }
}
