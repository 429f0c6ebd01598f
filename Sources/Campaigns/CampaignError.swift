/// A refusal about a campaign's configuration or status, for the tenant (the API maps its
/// code to a problem) or the operator. Nothing changed when one is thrown.
public struct CampaignError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// The fields at fault, for `invalid_campaign`.
    public let problems: [CampaignProblem]

    public init(_ code: String, _ message: String, problems: [CampaignProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String { message }

    static func notFound(_ id: String) -> CampaignError { CampaignError("not_found", "campaign \(id) not found") }
}

/// One field of a campaign that WeChat's rules refuse, named as the tenant wrote it.
public struct CampaignProblem: Sendable, Equatable, Codable {
    public let field: String
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
