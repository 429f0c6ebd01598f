import Synchronization

/// At most one read of PostgreSQL per `cacheFor` for /metrics, however many scrape: a
/// scrape inside the window answers from the gauges the last read set, and scrapes that
/// arrive while a read runs wait for that read instead of starting their own. So a
/// scraper cannot load the database by scraping faster.
final class ScrapeCache: Sendable {
    let cacheFor: Duration
    private struct State {
        var lastRead: ContinuousClock.Instant?
        var reading: Task<Void, Never>?
    }
    private let state = Mutex(State())

    init(cacheFor: Duration) { self.cacheFor = cacheFor }

    func refreshIfStale(_ read: @escaping @Sendable () async -> Void) async {
        let reading: Task<Void, Never>? = state.withLock { state in
            if let reading = state.reading { return reading }
            if let last = state.lastRead, ContinuousClock.now - last < cacheFor { return nil }
            let task = Task {
                await read()
                self.state.withLock { $0 = State(lastRead: .now, reading: nil) }
            }
            state.reading = task
            return task
        }
        await reading?.value
    }
}
