import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached OS thread running `body`, with a name `top`/`ps -L` show (Linux caps thread
/// names at 15 bytes, longer ones are cut). Used where a job must block (SQLite, SMTP) and so must
/// stay off the cooperative pool; a plain pthread keeps the services free of Foundation's `Thread`.
public enum WorkerThread {
    public struct StartError: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "pthread_create failed (error \(code))" }
    }

    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    public static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(StartError) {
        var handle = pthread_t()
        let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let rc = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
            _ = clinux_set_thread_name(box.name)
            box.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw StartError(code: rc)
        }
        pthread_detach(handle)
    }
}
