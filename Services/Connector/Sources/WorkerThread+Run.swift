import SyncCore

extension WorkerThread {
    /// Runs a blocking `job` on a new dedicated thread and awaits its result, so blocking I/O never
    /// occupies a cooperative-pool thread. The job is not cancelled with the task: it ends by its own
    /// deadline.
    static func run<T: Sendable>(name: String, _ job: @escaping @Sendable () throws(DeliveryFailure) -> T) async throws(DeliveryFailure) -> T {
        let result: Result<T, DeliveryFailure> = await withCheckedContinuation { continuation in
            do {
                try WorkerThread.start(name: name) {
                    do throws(DeliveryFailure) {
                        continuation.resume(returning: .success(try job()))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            } catch {
                continuation.resume(returning: .failure(.transient("cannot start a delivery thread (\(error))")))
            }
        }
        return try result.get()
    }
}
