import LauncherCore
import LifecycleCore

ProcessMain.run(service: "launcher", blockSignals: false) {
    try Launcher.main(arguments: Array(CommandLine.arguments.dropFirst()))
}
