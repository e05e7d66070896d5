import ConfigCore
import CryptoCore
import Foundation
import LogCore

/// The `passcode` command: `up` runs the three services locally; `send` / `verify` talk to a
/// running gateway with an API key; `config` prints the effective configuration with secrets
/// redacted; `version`; `help`.
public enum Launcher {
    public static let version = "0.1.0"

    public static let usage = """
        usage: passcode <command> [--flag value ...]

        commands:
          up        run gateway, verifier and connector (embedded defaults: SQLite + outbox)
          send      send a code:   passcode send --email a@b.co | --phone 15551234567
          verify    check a code:  passcode verify --email a@b.co --code 123456
          config    print the effective PASSCODE_* configuration, secrets redacted
          version   print the version
          help      this text (`passcode up --help` lists every variable)

        Every PASSCODE_* variable can also be given as a flag: --listen 127.0.0.1:9000 sets PASSCODE_LISTEN.
        `send` and `verify` use PASSCODE_URL (default http://PASSCODE_LISTEN) and PASSCODE_API_KEY
        (default: the first key of PASSCODE_API_KEYS).
        """

    public static let variables = """
        usage: passcode up [--flag value ...]

        Runs passcode-verifier, passcode-connector and passcode-gateway as children, restarts a crashed
        one with backoff, prints "passcode ready on http://HOST:PORT" when /readyz answers 200, and stops
        all on SIGINT/SIGTERM (exit 0 after a clean drain). Variables (or --flags, or a KEY=VALUE file
        named by PASSCODE_CONFIG):

          PASSCODE_LISTEN              127.0.0.1:8080   gateway HTTP address (port 0 = any free port)
          PASSCODE_DATA_DIR            ./.passcode      SQLite database, sockets, generated secret, outbox
          PASSCODE_STORE               sqlite           sqlite | redis://[user:pass@]host:port[/db]
          PASSCODE_EMAIL_PROVIDER      outbox           outbox | smtp | http | sendgrid | none
          PASSCODE_SMS_PROVIDER        outbox           outbox | twilio | http | none
          PASSCODE_API_KEYS            (none)           key or key=scope1+scope2, comma-separated
                                                        scopes: all, verification-codes:send, verification-codes:verify
          PASSCODE_CODE_TTL            600              code lifetime in seconds (60-3600)
          PASSCODE_MAX_ATTEMPTS        10               failed attempts per code (1-100)
          PASSCODE_CODE_LENGTH         6                digits per code (4-10)
          PASSCODE_SEND_LIMIT          10               sends per recipient per window
          PASSCODE_SEND_WINDOW         600              seconds
          PASSCODE_LOCKOUT_ATTEMPTS    100              failed Experience verifies before a lock
          PASSCODE_LOCKOUT_MINUTES     60               lock duration
          PASSCODE_LOCKOUT_WINDOW      3600             seconds in which failures count
          PASSCODE_IP_SEND_LIMIT       30               Experience sends per client IP per window
          PASSCODE_IP_SEND_WINDOW      600              seconds
          PASSCODE_RESEND_COOLDOWN     0                seconds between sends to one recipient (0 = off)
          PASSCODE_JWT_SECRET          (none)           accept HS256 bearer tokens signed with it
          PASSCODE_JWT_AUDIENCE        (none)           required `aud` of those tokens
          PASSCODE_COOKIE_SECURE       0                1 adds Secure to the _interaction cookie
          PASSCODE_SECRET              generated        HMAC key(s) for code hashes and cookies; new,old rotates
          PASSCODE_SMTP_URL            (none)           smtp://[user:pass@]host:port or smtps://...
          PASSCODE_SMTP_INSECURE       0                1 skips certificate verification
          PASSCODE_SMTP_CA_FILE        (system)         extra CA bundle to trust for SMTP
          PASSCODE_EMAIL_FROM          Passcode <no-reply@localhost>
          PASSCODE_EMAIL_HTTP_URL      (none)           Logto-style email webhook
          PASSCODE_SMS_HTTP_URL        (none)           Logto-style SMS webhook
          PASSCODE_HTTP_AUTHORIZATION  (none)           Authorization header for the webhooks
          PASSCODE_HTTP_CA_FILE        (system)         CA bundle the HTTP providers trust instead
          PASSCODE_TWILIO_URL          https://api.twilio.com
          PASSCODE_TWILIO_ACCOUNT_SID, PASSCODE_TWILIO_AUTH_TOKEN,
          PASSCODE_TWILIO_FROM or PASSCODE_TWILIO_MESSAGING_SERVICE_SID
          PASSCODE_SENDGRID_URL        https://api.sendgrid.com
          PASSCODE_SENDGRID_API_KEY    (none)
          PASSCODE_TEMPLATES           built-in English  JSON templates file (see deploy/local/templates.example.json)
          PASSCODE_WEBOTP_DOMAIN       (none)           append "@domain #code" to SMS (WebOTP)
          PASSCODE_EMAIL_FALLBACK_PROVIDER, PASSCODE_SMS_FALLBACK_PROVIDER   secondary provider per channel
          PASSCODE_DELIVERY_TIMEOUT    10               seconds a delivery may take, retries included
          PASSCODE_TRUSTED_PROXIES     (none)           CIDRs whose X-Forwarded-For is believed
          PASSCODE_LOG_LEVEL           info             debug | info | notice | warning | error
          PASSCODE_GATEWAY_THREADS     cores            gateway event loops
          PASSCODE_SQLITE_CACHE_MIB    128              SQLite page cache ceiling in MiB (about 120 bytes per live code)
          PASSCODE_SQLITE_SHARED       false            let other processes open the SQLite file while the verifier runs
          PASSCODE_SCHED_BATCH         true             run the services' threads under SCHED_BATCH (a woken thread does not preempt)
        """

    public static func main(arguments: [String]) throws -> Int32 {
        let command = arguments.first ?? "help"
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(command == "up" ? variables : usage)
            return 0
        }
        switch command {
        case "up":
            return try up(environment: try Environment.load(arguments: rest))
        case "send", "verify":
            return try OperatorCommand.run(command, environment: try Environment.load(arguments: rest))
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
