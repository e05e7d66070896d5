#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex, with `Synchronization.Mutex`'s `withLock` shape.
///
/// Why not `Mutex`: on Linux its futex lock lives in the prebuilt Synchronization library, which is
/// not instrumented for ThreadSanitizer, so TSan reports every access it guards as a race (a
/// two-thread counter under `Mutex` is flagged, the same counter under this type is not). The
/// sanitizer run is part of CI, so the locks must be ones it can see; pthread mutexes are.
///
/// `@unchecked Sendable`, proof: `value` is only read or written inside `withLock`, between
/// `pthread_mutex_lock` and `pthread_mutex_unlock` of the mutex this object owns; the mutex itself
/// is heap-allocated once, never moved, and destroyed in `deinit` when no thread can hold it.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: sending Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func withLock<Result, Failure: Error>(_ body: (inout sending Value) throws(Failure) -> sending Result) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
