import Payouts

/// A refusal about a campaign's configuration or status, for the tenant (the API maps its
/// code to a problem) or the operator. Nothing changed when one is thrown.
public struct CampaignError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// The fields at fault, for `invalid_campaign`.
    public let problems: [FieldProblem]

    public init(_ code: String, _ message: String, problems: [FieldProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String { message }

    static func notFound(_ id: String) -> CampaignError { CampaignError("not_found", "campaign \(id) not found") }
}
