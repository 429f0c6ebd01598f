import Foundation

/// The tenant API's JSON request bodies, decoded and checked the way the server does it —
/// the generated Codable types (JSON types, required and unknown fields, the `oneOf` of
/// `POST /v1/redpacks`), dates through `RFC3339DateTranscoder`, then the spec's value
/// limits (`validate()`, `FieldRules`) — with no server, gateway or database. The libFuzzer
/// target (Sources/Fuzz) feeds it arbitrary bytes: every input must end in a body or a
/// thrown error, never a crash, a hang or a sanitizer report.
public enum RequestBodyCheck: String, CaseIterable, Sendable {
    case redpack, groupRedpack = "group-redpack", transfer, webhook, campaign, campaignUpdate = "campaign-update", campaignEvent = "campaign-event"

    /// Decodes `body` as this operation's JSON and applies its limits; throws what the API would refuse.
    public func check(_ body: Data) throws {
        let decoder = Self.decoder
        switch self {
        case .redpack:
            switch try decoder.decode(Operations.CreateRedpack.Input.Body.JsonPayload.self, from: body) {
            case .CreateRedpackRequest(let request): try request.validate()
            case .CreateCampaignRedpackRequest: break
            }
        case .groupRedpack: try decoder.decode(Components.Schemas.CreateGroupRedpackRequest.self, from: body).validate()
        case .transfer: try decoder.decode(Components.Schemas.CreateTransferRequest.self, from: body).validate()
        case .webhook: try decoder.decode(Components.Schemas.CreateWebhookRequest.self, from: body).validate()
        case .campaign: _ = try decoder.decode(Components.Schemas.CreateCampaignRequest.self, from: body)
        case .campaignUpdate: _ = try decoder.decode(Components.Schemas.UpdateCampaignRequest.self, from: body)
        case .campaignEvent: _ = try decoder.decode(Components.Schemas.CampaignEventRequest.self, from: body)
        }
    }

    /// As the runtime's converter decodes (TenantAPIController's `Configuration`).
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        let transcoder = RFC3339DateTranscoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try transcoder.decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }
}
