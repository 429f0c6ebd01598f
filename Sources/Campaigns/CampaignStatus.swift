/// A campaign's life: draft → active ⇄ paused → ended. Only an active campaign sends; a
/// draft's amounts and budget may still change, as may a paused one's; ended is final.
public enum CampaignStatus: String, Sendable, Codable, CaseIterable {
    case draft, active, paused, ended

    /// The statuses an action may start from, and where it leads.
    public enum Action: String, Sendable, CaseIterable {
        case activate, pause, resume, end

        public var from: Set<CampaignStatus> {
            switch self {
            case .activate: [.draft]
            case .pause: [.active]
            case .resume: [.paused]
            case .end: [.draft, .active, .paused]
            }
        }

        public var to: CampaignStatus {
            switch self {
            case .activate, .resume: .active
            case .pause: .paused
            case .end: .ended
            }
        }
    }
}
