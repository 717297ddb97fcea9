import Synchronization

/// Opened once the database is migrated: background services that read tables wait for it, because the
/// service group starts them while migrations still run.
final class StartupGate: Sendable {
    private let opened = Mutex(false)

    func open() {
        opened.withLock { $0 = true }
    }

    /// Waits (polling in real time: this is start-up, not job timing) until open or cancelled.
    func wait() async {
        while !opened.withLock({ $0 }), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
