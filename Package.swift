// swift-tools-version:6.0
// Passcode: one-time verification codes by email and SMS. No third-party Swift packages:
// only the toolchain, plus Debian's sqlite3 and OpenSSL as system libraries.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The services and shared modules: a nonisolated async function runs on its caller's executor
/// (SE-0461) instead of hopping to the generic executor at every call. Every request's task
/// already prefers its event loop's executor, so the code runs where it ran before, without a
/// `swift_task_switch` and executor-preference lookup per call (callgrind, per wrong guess: about
/// 2% of the gateway's instructions, 3% of the verifier's). Tests keep the language default.
let productSettings = swiftSettings + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

func shared(_ name: String, _ deps: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: deps, path: "Shared/\(name)", swiftSettings: productSettings)
}

func service(_ name: String, folder: String, _ deps: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: deps, path: "Services/\(folder)/Sources", swiftSettings: productSettings)
}

/// Release builds of the three services link the Swift runtime and FoundationEssentials statically:
/// each process then maps only the parts it uses instead of every shared Swift library (idle RSS,
/// issue 7; bench/RESULTS.md). The services import FoundationEssentials only, never Foundation; the
/// libraries are named because SwiftPM's autolinking leaves them out with a plain `-static-stdlib`.
/// The launcher (Foundation's `Process`) and debug/sanitizer builds stay dynamic, which links faster.
let staticRelease: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib", "-lFoundationEssentials", "-l_FoundationCollections", "-l_FoundationCShims"],
                 .when(configuration: .release)),
]

func main(_ name: String, folder: String, _ deps: [Target.Dependency], linkStatically: Bool = true) -> Target {
    .executableTarget(name: name, dependencies: deps, path: "Services/\(folder)/Main", swiftSettings: productSettings,
                      linkerSettings: linkStatically ? staticRelease : [])
}

func tests(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .testTarget(name: name, dependencies: deps + ["TestSupport"], path: "Tests/\(name)", swiftSettings: swiftSettings)
}

let package = Package(
    name: "Passcode",
    products: [
        .executable(name: "passcode", targets: ["passcode"]),
        .executable(name: "passcode-gateway", targets: ["passcode-gateway"]),
        .executable(name: "passcode-verifier", targets: ["passcode-verifier"]),
        .executable(name: "passcode-connector", targets: ["passcode-connector"]),
    ],
    targets: [
        // C shims and system libraries.
        .target(name: "CLinux", path: "Shared/CLinux"),
        .systemLibrary(name: "CSQLite", path: "Shared/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Shared/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),

        // Shared modules.
        shared("SyncCore", ["CLinux"]),
        shared("LogCore", ["SyncCore"]),
        shared("ConfigCore"),
        shared("CryptoCore", ["COpenSSL", "ConfigCore", "SyncCore"]),
        shared("Contracts"),
        shared("SocketCore", ["CLinux", "SyncCore"]),
        shared("HTTPCore", ["SocketCore", "LogCore", "SyncCore"]),
        shared("RPCCore", ["SocketCore", "Contracts", "LogCore", "SyncCore"]),
        shared("LifecycleCore", ["CLinux", "LogCore", "ConfigCore", "SyncCore"]),

        // Services (libraries) and their thin executables.
        service("VerifierService", folder: "Verifier",
                ["CSQLite", "SocketCore", "RPCCore", "Contracts", "CryptoCore", "ConfigCore", "LogCore", "LifecycleCore", "SyncCore"]),
        service("ConnectorService", folder: "Connector",
                ["COpenSSL", "SocketCore", "RPCCore", "Contracts", "CryptoCore", "ConfigCore", "LogCore", "LifecycleCore", "SyncCore"]),
        service("GatewayService", folder: "Gateway",
                ["SocketCore", "HTTPCore", "RPCCore", "Contracts", "CryptoCore", "ConfigCore", "LogCore", "LifecycleCore", "SyncCore"]),
        service("LauncherCore", folder: "Launcher",
                ["CLinux", "ConfigCore", "LogCore", "LifecycleCore", "CryptoCore"]),
        main("passcode-verifier", folder: "Verifier", ["VerifierService"]),
        main("passcode-connector", folder: "Connector", ["ConnectorService"]),
        main("passcode-gateway", folder: "Gateway", ["GatewayService"]),
        main("passcode", folder: "Launcher", ["LauncherCore"], linkStatically: false),

        // Tests.
        .target(name: "TestSupport", dependencies: ["SocketCore", "LogCore", "ConfigCore", "SyncCore"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        tests("SocketCoreTests", ["SocketCore"]),
        tests("HTTPCoreTests", ["HTTPCore"]),
        tests("RPCCoreTests", ["RPCCore"]),
        tests("CryptoCoreTests", ["CryptoCore"]),
        tests("ConfigCoreTests", ["ConfigCore", "LogCore"]),
        tests("VerifierTests", ["VerifierService"]),
        tests("ConnectorTests", ["ConnectorService"]),
        tests("GatewayTests", ["GatewayService"]),
        tests("IntegrationTests", ["GatewayService", "LauncherCore", "LifecycleCore"]),
    ]
)
