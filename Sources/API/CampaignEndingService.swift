import Campaigns
import Foundation
import Logging
import ServiceLifecycle

/// Ends campaigns whose window has closed or whose budget can pay no more packets
/// (`CampaignStore.endDue`), every `interval` while the server runs, each announced with
/// `campaign.ended`. Sends are refused at those points anyway (the reservation checks the
/// window and the budget on the database's clock); this makes the status, and the tenant's
/// webhook, say so. A failure is logged and tried again at the next interval.
public struct CampaignEndingService: Service {
    let store: CampaignStore
    let interval: Duration
    let logger: Logger

    public init(store: CampaignStore, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for campaign in try await store.endDue(actor: "gateway") {
                        logger.info("campaign ended", metadata: ["campaign": "\(campaign.id)", "reason": "\(campaign.endedReason ?? "")"])
                    }
                } catch {
                    logger.error("could not end due campaigns", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
