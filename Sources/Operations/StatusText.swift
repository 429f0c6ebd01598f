/// How the status screen and the dashboard write a limit's use and an age, the same way.
public enum StatusText {
    /// "12 / 1800 (0%)", or "12 / none" without a limit; `compact` drops the spaces around the slash.
    public static func use(_ use: LimitUse, compact: Bool = false) -> String {
        let slash = compact ? "/" : " / "
        guard let limit = use.limit else { return "\(use.used)\(slash)none" }
        return "\(use.used)\(slash)\(limit) (\(use.percent ?? 0)%)"
    }

    /// The per-user-per-day limit: "busiest 3/10, 2 of 57 users at limit".
    public static func perUser(_ usage: MerchantStatus.Usage) -> String {
        "busiest \(use(usage.perUserDay, compact: true).split(separator: " ").first ?? ""), \(usage.usersAtLimit) of \(usage.usersToday) users at limit"
    }

    /// "45s", "3m20s", "2h5m", "4d3h".
    public static func age(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds)s"
        case ..<3600: "\(seconds / 60)m\(seconds % 60)s"
        case ..<86_400: "\(seconds / 3600)h\(seconds % 3600 / 60)m"
        default: "\(seconds / 86_400)d\(seconds % 86_400 / 3600)h"
        }
    }
}
