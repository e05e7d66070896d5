// LauncherCore
