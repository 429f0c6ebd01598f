import Payouts
import Logging
import Postgres
import ServiceLifecycle
import Webhooks

/// Runs the webhook dispatcher with the server: LISTEN on its channel wakes it (also each
/// time the listener reconnects, since a NOTIFY may have been missed meanwhile), and its
/// workers poll anyway. At shutdown it stops claiming and lets attempts in flight finish
/// (each bounded by the delivery timeout); one cut short is retried after its lease.
public struct WebhookDispatchService: Service {
    let dispatcher: WebhookDispatcher
    let database: PostgresConfiguration
    let logger: Logger

    public init(dispatcher: WebhookDispatcher, database: PostgresConfiguration, logger: Logger) {
        self.dispatcher = dispatcher
        self.database = database
        self.logger = logger
    }

    public func run() async throws {
        // Its own name in pg_stat_activity (`hongbao-webhooks-listen`), apart from the merchant reload listener's.
        var configuration = database
        configuration.applicationName = "hongbao-webhooks"
        let listener = PostgresListener(configuration: configuration, channels: [WebhookDispatcher.channel], logger: logger)
        defer { listener.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in listener.events { dispatcher.wakeUp() } }
            group.addTask { await dispatcher.run() }
            try? await gracefulShutdown() // throws only on cancellation, which also means stop
            dispatcher.stop()
            listener.stop()
        }
    }
}
